/**
 * The system probe's read-only commands: run without a shell, with only the given environment,
 * bounded in time and output; a program that cannot start or is stopped reads as exit 127.
 */
import { describe, expect, it } from 'vitest';
import { systemProbe } from '../../src/core/probe.js';

const probe = systemProbe({ PATH: '/usr/bin:/bin', ONLY: 'this' });

describe('systemProbe().run', () => {
  const cases: { name: string; argv: string[]; timeoutMs?: number; exitCode: number; stdout?: RegExp; stderr?: RegExp }[] = [
    { name: 'a program that succeeds: its output', argv: ['echo', 'hello', '$HOME', ';', 'x'], exitCode: 0, stdout: /^hello \$HOME ; x\n$/ },
    { name: 'its exit code as it is', argv: ['sh', '-c', 'echo oops >&2; exit 3'], exitCode: 3, stderr: /^oops\n$/ },
    { name: 'only the environment given', argv: ['env'], exitCode: 0, stdout: /^PATH=\/usr\/bin:\/bin\nONLY=this\n$/ },
    { name: 'a program that is not there: 127', argv: ['no-such-program-here'], exitCode: 127 },
    { name: 'one that does not end in time is stopped: 127', argv: ['sleep', '30'], timeoutMs: 300, exitCode: 127 },
    { name: 'one that prints without end is stopped at the output limit: 127', argv: ['cat', '/dev/zero'], exitCode: 127 },
    { name: 'stdin is closed: a program reading it ends', argv: ['cat'], exitCode: 0, stdout: /^$/ },
  ];
  it.each(cases)('$name', async (c) => {
    const r = await probe.run(c.argv, c.timeoutMs ? { timeoutMs: c.timeoutMs } : {});
    expect(r.exitCode).toBe(c.exitCode);
    if (c.stdout) expect(r.stdout).toMatch(c.stdout);
    if (c.stderr) expect(r.stderr).toMatch(c.stderr);
  });
});
