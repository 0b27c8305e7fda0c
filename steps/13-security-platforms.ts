import { defineStep, type CodeInfo, type Proposal } from '../src/core/step.js';

export interface PlatformChoice {
  /** Recorded in the profile's `platform` field. */
  value: string;
  title: string;
  description: string;
}

/** What the person can record; none of them changes the machine. Deciding later is the walk's own `later`. */
export const PLATFORM_CHOICES: PlatformChoice[] = [
  {
    value: 'open-tools',
    title: 'Keep to open tools',
    description:
      'Trivy or Grype scan images in CI and on a schedule (step 5), Falco watches containers at runtime (step 9), cosign ' +
      'verifies signatures (step 10), Kyverno or OPA Gatekeeper enforce admission rules on Kubernetes, and this tool ' +
      'keeps the host and the Dockerfiles hardened. No licence cost; you run and tune each piece, and the findings live in ' +
      'separate places.',
  },
  {
    value: 'docker-scout',
    title: "Docker Scout (Docker's own)",
    description:
      'Image analysis, base image update advice and policy evaluation built into Docker Desktop, Docker Hub and the ' +
      '`docker scout` CLI. Free for a few repositories, paid beyond; no runtime monitoring.',
  },
  {
    value: 'commercial-platform',
    title: 'A commercial container security platform',
    description:
      'Aqua, Sysdig Secure, Prisma Cloud, Snyk Container, Wiz and others: registry scanning at scale, runtime policy ' +
      'with blocking, admission control, compliance reports and one console for many clusters and hosts. Licence cost ' +
      'and an agent on every host; worth it when many teams and hosts must meet one policy.',
  },
];

/** Open tools that cover part of a platform's ground, as found on this machine. */
const OPEN_TOOLS = ['trivy', 'grype', 'osv-scanner', 'falco', 'cosign', 'notation', 'docker-bench-security', 'kyverno', 'conftest'];

/** Every finding code this step reports. */
const CODES: Record<string, CodeInfo> = {
  "DH-PLATFORM-CHOICE": {
    title: "A security platform is a choice",
    severity: 'info',
    help: "Platforms add registry-wide scanning, runtime blocking, admission control and one console; open tools cover each piece. Record the choice.",
  },
};

export default defineStep({
  meta: {
    id: 'security-platforms',
    order: 13,
    title: 'Beyond this tool: security platforms',
    choices: { platform: PLATFORM_CHOICES.map((c) => c.value) },
    targets: ['host', 'dockerfile', 'compose'],
    oncePerRun: true,
    summary: 'What container security platforms add, which open tools cover the same ground, and your choice.',
    explain:
      'This tool hardens one host or one Dockerfile at a time, when you run it. Container security platforms add what ' +
      'needs to run all the time and across many machines: scanning every image in every registry as new ' +
      'vulnerabilities are published, runtime policy that can block a process or a connection rather than only report ' +
      'it, admission control that keeps an unsigned or vulnerable image from being deployed at all, and one place for ' +
      'findings, exceptions and compliance reports. Open tools cover most of the same ground piece by piece: Trivy or ' +
      'Grype for scanning, Falco for runtime detection, cosign for signatures, Kyverno or OPA Gatekeeper for admission ' +
      'control on Kubernetes, docker-bench-security for the CIS benchmark. Nothing here is applied: record which way you ' +
      'go, and the walk ends with the report of every step.',
    codes: CODES,
    references: [
      { title: 'CNCF landscape: security and compliance', url: 'https://landscape.cncf.io/guide#provisioning--security-compliance' },
      { title: 'Falco', url: 'https://falco.org/' },
      { title: 'Kyverno', url: 'https://kyverno.io/' },
      { title: 'OPA Gatekeeper', url: 'https://open-policy-agent.github.io/gatekeeper/' },
      { title: 'Docker Scout', url: 'https://docs.docker.com/scout/' },
    ],
  },

  async check(ctx) {
    const found: string[] = [];
    for (const tool of OPEN_TOOLS) if (await ctx.probe.which(tool)) found.push(tool);
    return {
      status: 'info',
      findings: [
        {
          code: 'DH-PLATFORM-CHOICE', message: 'a choice, not a check: platforms add registry-wide scanning, runtime blocking, admission control and one console; open tools cover each piece separately',
          severity: 'info',
        },
      ],
      notes: [found.length > 0 ? `open security tools on this machine: ${found.join(', ')}` : 'no open security tools found on this machine (looked for ' + OPEN_TOOLS.join(', ') + ')'],
    };
  },

  async propose() {
    return PLATFORM_CHOICES.map(
      (c): Proposal => ({
        id: c.value,
        kind: 'choice',
        risk: 'safe',
        title: c.title,
        description: c.description,
        changes: [],
        commands: [],
        warnings: [],
        group: 'platform',
        choice: { key: 'platform', value: c.value },
      }),
    );
  },
});
