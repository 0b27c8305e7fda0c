/** Step 11 in a Dockerfile: an ssh port or server in the image. */
import { statusOf, type CheckResult, type Context, type Finding, type Proposal } from '../../src/core/step.js';
import type { DockerInstruction, DockerfileModel } from '../../src/dockerfile/model.js';
import { applyEdits, deleteLinesEdit, rangeEdit } from '../../src/dockerfile/edit.js';

interface SshExpose {
  instruction: DockerInstruction;
  /** The port tokens as written, and which of them cover port 22. */
  tokens: string[];
  ssh: string[];
}

function coversPort22(token: string): boolean {
  const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(token);
  if (!m) return false;
  if (m[3] && m[3].toLowerCase() !== 'tcp') return false;
  const from = Number(m[1]);
  const to = m[2] ? Number(m[2]) : from;
  return from <= 22 && 22 <= to;
}

function sshExposes(model: DockerfileModel): SshExpose[] {
  const out: SshExpose[] = [];
  const stage = model.finalStage;
  for (const s of model.chain(stage)) {
    for (const i of s.instructions) {
      if (i.keyword !== 'EXPOSE') continue;
      const tokens = i.args.split(/\s+/).filter(Boolean);
      const ssh = tokens.filter((t) => coversPort22(model.resolve(t, s, i).value));
      if (ssh.length) out.push({ instruction: i, tokens, ssh });
    }
  }
  return out;
}

/** What the Dockerfile check read, for propose: the model and its EXPOSE lines that cover port 22. */
export interface DockerfileState {
  target: 'dockerfile';
  model: DockerfileModel;
  exposes: SshExpose[];
}

export async function checkDockerfile(ctx: Context): Promise<CheckResult<DockerfileState>> {
  const model = await ctx.dockerfile();
  const findings: Finding[] = [];
  const exposes = sshExposes(model);
  for (const e of exposes) {
    findings.push({
      code: 'DH-SSH-PORT', fixedBy: 'no-ssh-port', message: 'the image exposes port 22 (ssh): an ssh server in a container is one more service to attack and to keep patched; use docker exec for a shell, and keep ssh only where it is the service itself (git over ssh, SFTP), with key logins only',
      severity: 'medium',
      file: model.path,
      line: e.instruction.line,
      evidence: e.instruction.source.trim(),
    });
  }
  for (const s of model.chain(model.finalStage)) {
    for (const i of s.instructions) {
      if (i.keyword === 'RUN' && /\b(openssh-server|dropbear)\b|\bapk\b[^&;|]*\badd\b[^&;|]*\bopenssh\b/.test(i.args)) {
        findings.push({
          code: 'DH-SSH-SERVER', message: 'the image installs an ssh server: one more service to attack and to keep patched; use docker exec for a shell, and keep ssh only where it is the service itself (git over ssh, SFTP), with key logins only',
          severity: 'medium',
          file: model.path,
          line: i.line,
          evidence: i.source.split(/\r?\n/)[0]!.trim(),
        });
      }
    }
  }
  return { status: statusOf(findings), findings, state: { target: 'dockerfile', model, exposes } };
}

export function proposeDockerfile({ model, exposes }: DockerfileState): Proposal[] {
  if (exposes.length === 0) return [];
  const edits = exposes.map((e) => {
    const rest = e.tokens.filter((t) => !e.ssh.includes(t));
    if (rest.length === 0 || !e.instruction.argsRange) {
      return deleteLinesEdit(model.text, e.instruction.line - 1, e.instruction.endLine - 1);
    }
    return rangeEdit(model.text, e.instruction.argsRange, rest.join(' '));
  });
  return [
    {
      id: 'no-ssh-port',
      // EXPOSE only documents; logins over ssh must move to docker exec.
      kind: 'change',
      risk: 'review',
      title: 'Stop exposing port 22',
      description:
        'EXPOSE only documents a port; the ssh server itself must also go from the image (its package and the command that starts it). For a shell in a running container use `docker exec -it NAME sh`.',
      changes: [{ path: model.path, before: model.text, after: applyEdits(model.text, edits), edits }],
      commands: [],
      warnings: [
        'Anything that logs in to the container over ssh (deployment scripts, people) must use docker exec or the orchestrator instead.',
        'Where ssh is what the image serves (a Git server such as Gitea or GitLab, an SFTP server), keep port 22: skip this change.',
      ],
    },
  ];
}

