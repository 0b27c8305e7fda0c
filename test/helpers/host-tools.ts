/** Small tools for host tests: a free loopback port, TLS material made with openssl. */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execa } from 'execa';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** A CA and a server certificate for 127.0.0.1, key 0400 and certificates 0444 as CIS asks. */
export async function makeTls(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  mkdirSync(dir, { recursive: true });
  const f = (n: string) => path.join(dir, n);
  const run = (args: string[]) => execa('openssl', args, { cwd: dir, stdin: 'ignore' });
  await run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=dh-test-ca', '-keyout', f('ca-key.pem'), '-out', f('ca.pem')]);
  await run(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', f('server-key.pem'), '-out', f('server.csr')]);
  writeFileSync(f('ext.cnf'), 'subjectAltName = IP:127.0.0.1\nextendedKeyUsage = serverAuth\n');
  await run(['x509', '-req', '-days', '2', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca-key.pem'), '-CAcreateserial', '-out', f('server-cert.pem'), '-extfile', f('ext.cnf')]);
  chmodSync(f('server-key.pem'), 0o400);
  chmodSync(f('ca.pem'), 0o444);
  chmodSync(f('server-cert.pem'), 0o444);
  return { ca: f('ca.pem'), cert: f('server-cert.pem'), key: f('server-key.pem') };
}

