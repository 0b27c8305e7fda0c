import { describe, expect, it } from 'vitest';
import { splitWords } from '../../src/core/words.js';
import { splitCommand } from '../../src/args.js';

describe('splitWords: words as a shell reads plain arguments, nothing expanded', () => {
  it.each([
    ['systemctl restart docker', ['systemctl', 'restart', 'docker']],
    [`sh -c 'kill -HUP "$(cat /run/docker.pid)"'`, ['sh', '-c', 'kill -HUP "$(cat /run/docker.pid)"']],
    ['/usr/bin/dockerd -H fd:// --containerd="/run/containerd/containerd.sock"', ['/usr/bin/dockerd', '-H', 'fd://', '--containerd=/run/containerd/containerd.sock']],
    ['a\\ b c', ['a b', 'c']],
    ['apt-get install -y \\\n    gcc \\\r\n    make', ['apt-get', 'install', '-y', 'gcc', 'make']],
    ['""', ['']],
    ['  ', []],
  ])('%j', (text, words) => {
    expect(splitWords(text)).toEqual(words);
  });

  it.each([
    ['docker build -f a/Dockerfile .;', ['docker', 'build', '-f', 'a/Dockerfile', '.', ';']],
    ['make&&docker build . | tee log', ['make', '&&', 'docker', 'build', '.', '|', 'tee', 'log']],
    ['build . 2>&1 || true &', ['build', '.', '2>&1', '||', 'true', '&']],
    [`echo 'a;b' "c|d" e\\;f`, ['echo', 'a;b', 'c|d', 'e;f']],
  ])('with operators: %j', (text, words) => {
    expect(splitWords(text, { operators: true })).toEqual(words);
  });

  it('--restart-command with an unclosed quote is refused, never half-run', () => {
    expect(() => splitCommand(`systemctl 'restart docker`)).toThrow(/unclosed quote/);
  });
});
