import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadDockerfile, parseDockerfile, substitute, isRootUser, type Stage } from '../../src/dockerfile/model.js';
import { UserError } from '../../src/core/errors.js';
import { runCommands } from '../../src/dockerfile/commands.js';

const parse = (text: string) => parseDockerfile(text, '/work/Dockerfile');

describe('stages and the final stage', () => {
  it('finds stages, names, parents and the final stage', () => {
    const m = parse('ARG GO=1.22\nFROM golang:${GO} AS Build\nRUN go build -o /out/app .\nFROM build AS test\nRUN go test ./...\nFROM gcr.io/distroless/static-debian12:nonroot\nCOPY --from=build /out/app /app\n');
    expect(m.stages.map((s) => s.name)).toEqual(['build', 'test', null]);
    expect(m.stages[0]!.image?.reference).toBe('golang:1.22');
    expect(m.stages[1]!.parent).toBe(m.stages[0]);
    expect(m.stages[1]!.image).toBeNull();
    expect(m.finalStage.index).toBe(2);
    expect(m.finalStage.image?.registry).toBe('gcr.io');
    expect(m.chain(m.stages[1]).map((s) => s.index)).toEqual([0, 1]);
    expect(m.baseImage(m.stages[1])?.repository).toBe('golang');
    expect(m.globalArgs).toHaveLength(1);
    expect(m.finalStage.instructions.map((i) => i.keyword)).toEqual(['COPY']);
  });

  it('FROM takes stage names only: `FROM 0` is an image, as the builder reads it', () => {
    const m = parse('FROM debian:bookworm\nUSER app\nFROM 0\n');
    expect(m.finalStage.parent).toBeNull();
    expect(m.finalStage.image?.repository).toBe('0');
    expect(m.effectiveUser().root).toBe(true);
  });

  it('tells a FROM variable no ARG before the first FROM declares from one declared without a default; the platform arguments are declared', () => {
    const m = parse('ARG TAG\nFROM ${REG}/app:${TAG}\nARG LATER=1\nFROM ${LATER}-${LATER}\nFROM alpine-${TARGETARCH}\n');
    expect(m.stages.map((s) => s.imageUnresolved)).toEqual([['REG', 'TAG'], ['LATER', 'LATER'], ['TARGETARCH']]);
    expect(m.stages.map((s) => s.imageUndeclared)).toEqual([['REG'], ['LATER'], []]);
  });

  it('gives 1-based lines and the exact source of each instruction', () => {
    const m = parse('FROM alpine:3.20\n\n# comment\nRUN apk add --no-cache curl \\\n    jq\n');
    const run = m.instructions[1]!;
    expect([run.line, run.endLine]).toEqual([4, 5]);
    expect(run.source).toBe('RUN apk add --no-cache curl \\\n    jq');
    expect(run.args).toBe('apk add --no-cache curl     jq');
  });
});

describe('logical arguments', () => {
  it('joins continuations as the builder does: escapes and comment lines dropped, a doubled escape and heredoc bodies kept', () => {
    const model = parseDockerfile('FROM a\nRUN <<EOF\r\necho a \\\necho b\nEOF\nRUN echo a \\\n  # note \\\n  && echo b  \\  \n  && c \\\\\n  d\n', 'Dockerfile');
    expect(model.instructions.map((i) => i.args)).toEqual(['a', '<<EOF\necho a \\\necho b\nEOF\n', 'echo a   && echo b    && c \\\\  d']);
  });
});

describe('here-documents in RUN', () => {
  // The commands a RUN runs: a body fed to a shell, or the RUN's own script, is commands; one fed to
  // another program is its data.
  it.each<[string, string, string[][]]>([
    ['the RUN script', 'RUN <<EOF\napt-get update\nsudo make\nEOF', [['apt-get', 'update'], ['sudo', 'make']]],
    ['fed to bash, word quoted', "RUN bash -eux <<'X'\nmake install\nX", [['bash', '-eux', '<<X'], ['make', 'install']]],
    ['fed to cat, written to a file', 'RUN cat <<EOF > /etc/app.conf\nsudo = true\nEOF', [['cat', '<<EOF', '>', '/etc/app.conf']]],
    ['fed to python3', 'RUN python3 <<EOF\nimport os\nEOF', [['python3', '<<EOF']]],
    ['fed to a shell run as another user (sudo -u app bash)', 'RUN sudo -u app bash <<EOF\nmake install\nEOF', [['sudo', '-u', 'app', 'bash', '<<EOF'], ['make', 'install']]],
    ['a script with another shebang', 'RUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF', []],
    ['a script with a shell shebang', 'RUN <<EOF\n#!/bin/bash\nmake\nEOF', [['make']]],
    ['the command after the marker (RUN <<EOF bash)', 'RUN <<EOF bash\nset -ex\nmake\nEOF', [['bash'], ['set', '-ex'], ['make']]],
    ['a program after the marker (RUN <<EOF python3)', 'RUN <<EOF python3\nsudo = 1\nEOF', [['python3']]],
    ['a script written with cat and run by the same RUN', "RUN cat > /tmp/setup.sh <<'EOF' && sh /tmp/setup.sh\napt-get update\nEOF", [['cat', '>', '/tmp/setup.sh', '<<EOF'], ['sh', '/tmp/setup.sh'], ['apt-get', 'update']]],
    ['a script written with tee, made executable and run', 'RUN tee setup.sh <<EOF >/dev/null && chmod +x setup.sh && ./setup.sh\nmake install\nEOF', [['tee', 'setup.sh', '<<EOF', '>/dev/null'], ['chmod', '+x', 'setup.sh'], ['./setup.sh'], ['make', 'install']]],
    ['a file written and only read', 'RUN cat > /etc/app.conf <<EOF && grep -q port /etc/app.conf\nport=1\nEOF', [['cat', '>', '/etc/app.conf', '<<EOF'], ['grep', '-q', 'port', '/etc/app.conf']]],
    ['comments in the script', 'RUN <<EOF\n# refresh the index\napt-get update # quietly\nEOF', [['apt-get', 'update']]],
    ['sh -c reads its string, not the body', 'RUN sh -c "make" <<EOF\nrm -rf /\nEOF', [['sh', '-c', 'make', '<<EOF']]],
    ['<<- strips tabs before its word; a command after the marker still runs', 'RUN cat <<-EOT > /etc/motd && chmod 644 /etc/motd\n\tsudo x\n\tEOT', [['cat', '<<-EOT', '>', '/etc/motd'], ['chmod', '644', '/etc/motd']]],
    ['two on one line, both data', 'RUN cat <<A <<B > /f\na1\nA\nb1\nB', [['cat', '<<A', '<<B', '>', '/f']]],
    ['a marker line that goes on: the body starts after the whole line', 'RUN cat <<EOF > /etc/x \\\n    && chmod 644 /etc/x\nsudo = true\nEOF', [['cat', '<<EOF', '>', '/etc/x'], ['chmod', '644', '/etc/x']]],
    ['a marker on a line the one before goes on to', 'RUN set -e \\\n  && bash <<EOF\nmake\nEOF', [['set', '-e'], ['bash', '<<EOF'], ['make']]],
    ['a here-string is no here-document', 'RUN grep x <<< "$V" && make', [['grep', 'x', '<<<', '$V'], ['make']]],
  ])('%s', (_name, run, commands) => {
    const model = parse(`# syntax=docker/dockerfile:1\nFROM debian:12\n${run}\n`);
    expect(runCommands(model.instructions[1]!)).toEqual(commands);
  });
});

describe('the effective user', () => {
  const cases: { name: string; text: string; spec: string; root: boolean; line: number | null }[] = [
    { name: 'no USER at all', text: 'FROM debian:bookworm\nRUN true\n', spec: 'root', root: true, line: null },
    { name: 'USER root', text: 'FROM debian:bookworm\nUSER root\n', spec: 'root', root: true, line: 2 },
    { name: 'USER 0:0', text: 'FROM debian:bookworm\nUSER 0:0\n', spec: '0:0', root: true, line: 2 },
    { name: 'USER root:staff', text: 'FROM debian:bookworm\nUSER root:staff\n', spec: 'root:staff', root: true, line: 2 },
    { name: 'the last USER wins', text: 'FROM debian:bookworm\nUSER root\nRUN x\nUSER 10001\n', spec: '10001', root: false, line: 4 },
    { name: 'inherited through FROM <stage>', text: 'FROM debian:bookworm AS base\nUSER app\nFROM base\nRUN true\n', spec: 'app', root: false, line: 2 },
    { name: 'root inherited through two stages', text: 'FROM debian AS a\nUSER 0\nFROM a AS b\nFROM b\n', spec: '0', root: true, line: 2 },
    { name: 'a stage ARG default', text: 'FROM debian\nARG APP_USER=app\nUSER ${APP_USER}\n', spec: 'app', root: false, line: 3 },
    { name: 'a global ARG redeclared in the stage', text: 'ARG APP_USER=root\nFROM debian\nARG APP_USER\nUSER $APP_USER\n', spec: 'root', root: true, line: 4 },
    { name: 'a global ARG not redeclared is not visible', text: 'ARG APP_USER=app\nFROM debian\nUSER ${APP_USER:-root}\n', spec: 'root', root: true, line: 3 },
    { name: 'ENV wins over ARG', text: 'FROM debian\nARG U=root\nENV U=app\nUSER ${U}\n', spec: 'app', root: false, line: 4 },
    { name: 'an image that runs as non-root by itself', text: 'FROM gcr.io/distroless/static-debian12:nonroot\n', spec: 'nonroot', root: false, line: null },
    { name: 'distroless without the nonroot tag runs as root', text: 'FROM gcr.io/distroless/static-debian12\n', spec: 'root', root: true, line: null },
  ];
  it.each(cases)('$name', ({ text, spec, root, line }) => {
    const user = parse(text).effectiveUser();
    expect(user.spec).toBe(spec);
    expect(user.root).toBe(root);
    expect(user.instruction?.line ?? null).toBe(line);
  });

  it('marks a USER that depends on a variable without value as unresolved, not root', () => {
    const user = parse('FROM debian\nARG U\nUSER ${U}\n').effectiveUser();
    expect(user.unresolved).toEqual(['U']);
    expect(user.root).toBe(false);
  });

  it('isRootUser', () => {
    expect(['root', '0', '0:0', 'root:root', 'root:app', '000'].every(isRootUser)).toBe(true);
    expect(['app', '10001', '10001:0', 'rooty'].some(isRootUser)).toBe(false);
  });
});

describe('variable substitution', () => {
  const vars = new Map<string, string | null>([['A', 'x'], ['E', ''], ['N', null]]);
  it.each([
    ['$A', 'x'],
    ['${A}', 'x'],
    ['${A:-d}', 'x'],
    ['${B:-d}', 'd'],
    ['${E:-d}', 'd'],
    ['${E-d}', ''],
    ['${A:+y}', 'y'],
    ['${B:+y}', ''],
    ['pre-${A}-post', 'pre-x-post'],
    ['\\$A', '$A'],
  ])('%s -> %s', (text, value) => {
    expect(substitute(text, vars).value).toBe(value);
  });
  it('reports variables without a value', () => {
    expect(substitute('${N}/$B', vars).unresolved).toEqual(['N', 'B']);
  });
  it('uses the escape directive for an escaped dollar', () => {
    expect(substitute('`$A', vars, '`').value).toBe('$A');
  });
});

describe('line endings, escape directive, continuations', () => {
  it('keeps CRLF and resolves lines', () => {
    const m = parse('FROM node:20\r\nUSER node\r\n');
    expect(m.eol).toBe('\r\n');
    expect(m.lineText(2)).toBe('USER node');
    expect(m.effectiveUser().spec).toBe('node');
  });
  it('reads the escape directive and joins backtick continuations', () => {
    const m = parse('# escape=`\r\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\r\nRUN echo a `\r\n    b\r\n');
    expect(m.escape).toBe('`');
    expect(m.instructions[1]!.args).toBe('echo a     b');
    expect(m.instructions[1]!.endLine).toBe(4);
  });
  it('drops comment lines inside a continuation', () => {
    const m = parse('FROM debian\nRUN apt-get update && \\\n  # the tools\n  apt-get install -y curl\n');
    expect(m.instructions[1]!.args).toBe('apt-get update &&   apt-get install -y curl');
  });
  it('handles a byte-order mark', () => {
    const m = parse('\uFEFFFROM debian:bookworm\nUSER app\n');
    expect(m.finalStage.image?.tag).toBe('bookworm');
    expect(m.effectiveUser().spec).toBe('app');
  });
  it('WORKDIR follows the chain and relative paths', () => {
    const m = parse('FROM debian AS a\nWORKDIR /app\nFROM a\nWORKDIR src\n');
    expect(m.workdir()).toBe('/app/src');
  });
  it('starts from the WORKDIR a known base image sets (golang: /go, php: /var/www/html); an unknown image starts at /', () => {
    const m = parse('FROM golang:1.22 AS build\nRUN go build -o app .\nWORKDIR src\nFROM php:8.3-fpm\nCOPY . .\nFROM example/base:1\nCOPY . .\n');
    const [go, php, other] = m.stages as [Stage, Stage, Stage];
    expect([m.workdir(go, go.instructions[0]), m.workdir(go), m.workdir(php, php.instructions[0]), m.workdir(other)]).toEqual(['/go', '/go/src', '/var/www/html', '/']);
  });
  it('gives the folder each instruction runs in, through the chain, variables resolved and paths cleaned', () => {
    const m = parse('FROM debian AS a\nARG HOME_DIR=/srv/\nRUN true\nWORKDIR ${HOME_DIR}\nRUN make\nFROM a AS b\nCOPY . .\nWORKDIR ../opt/./app/\nRUN go build\nFROM debian\nRUN true\n');
    const [a, b, last] = m.stages as [Stage, Stage, Stage];
    const at = (stage: Stage, keyword: string, n = 0) => m.workdir(stage, stage.instructions.filter((i) => i.keyword === keyword)[n]);
    expect([at(a, 'RUN'), at(a, 'WORKDIR'), at(a, 'RUN', 1)]).toEqual(['/', '/srv', '/srv']);
    expect([at(b, 'COPY'), at(b, 'WORKDIR'), at(b, 'RUN')]).toEqual(['/srv', '/opt/app', '/opt/app']);
    expect([m.workdir(a), m.workdir(b), at(last, 'RUN'), m.workdir(last)]).toEqual(['/srv', '/opt/app', '/', '/']);
  });
});

describe('loadDockerfile errors', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'dh-model-'));
    mkdirSync(path.join(dir, 'folder'));
    writeFileSync(path.join(dir, 'binary'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x00, 0x01, 0x02]));
    writeFileSync(path.join(dir, 'latin1'), Buffer.from('FROM debian\nLABEL a="caf\xe9"\n', 'latin1'));
    writeFileSync(path.join(dir, 'empty'), '');
    writeFileSync(path.join(dir, 'comments'), '# just a comment\n\n');
    writeFileSync(path.join(dir, 'readme'), 'Hello there\nThis is a README file.\n');
    writeFileSync(path.join(dir, 'yaml'), 'services:\n  web:\n    image: nginx\n');
    writeFileSync(path.join(dir, 'run-first'), 'RUN echo hi\nFROM debian\n');
    writeFileSync(path.join(dir, 'typo'), 'FROM debian\nRUN true\nCOPPY . /app\n');
    writeFileSync(path.join(dir, 'good'), 'FROM debian\n');
    // Saved as UTF-16 (Windows editors do): its NUL bytes do not make it a binary file.
    writeFileSync(path.join(dir, 'utf16'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('FROM debian\n', 'utf16le')]));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cases: { file: string; message: RegExp; line?: number }[] = [
    { file: 'missing', message: /not found/ },
    { file: 'folder', message: /is a directory/ },
    { file: 'binary', message: /binary file/ },
    { file: 'utf16', message: /^is UTF-16 text; docker-harden reads a Dockerfile as UTF-8$/ },
    { file: 'latin1', message: /not UTF-8/ },
    { file: 'empty', message: /is empty/ },
    { file: 'comments', message: /only comments/ },
    { file: 'readme', message: /not a Dockerfile.*no FROM/, line: 1 },
    { file: 'yaml', message: /not a Dockerfile/, line: 1 },
    { file: 'run-first', message: /first instruction must be FROM/, line: 1 },
    { file: 'typo', message: /unknown instruction "COPPY"/, line: 3 },
  ];
  it.each(cases)('$file: $message', async ({ file, message, line }) => {
    const full = path.join(dir, file);
    const err = await loadDockerfile(full).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    const u = err as UserError;
    expect(u.message).toMatch(message);
    expect(u.file).toBe(full);
    expect(u.hint).toBeTruthy();
    if (line) expect(u.line).toBe(line);
    expect(u.format()).toContain(full);
  });
  it('loads a real Dockerfile', async () => {
    const m = await loadDockerfile(path.join(dir, 'good'));
    expect(m.finalStage.image?.repository).toBe('debian');
  });
});
