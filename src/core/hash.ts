/**
 * sha256 and random hex, with node:crypto loaded on first use: loading it adds 6 ms to every
 * command's start-up, and only writes, SARIF and Docker contexts need it.
 */
import { createRequire } from 'node:module';

type Crypto = typeof import('node:crypto');
let crypto: Crypto | undefined;

function nodeCrypto(): Crypto {
  return (crypto ??= createRequire(import.meta.url)('node:crypto') as Crypto);
}

export function sha256(text: string | Buffer): string {
  return nodeCrypto().createHash('sha256').update(text).digest('hex');
}

/** `bytes` random bytes as hex: a name no other run picks. */
export function randomHex(bytes: number): string {
  return nodeCrypto().randomBytes(bytes).toString('hex');
}
