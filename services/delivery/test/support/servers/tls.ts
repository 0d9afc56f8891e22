import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type TestPki = { caPem: string; certPem: string; keyPem: string; certFile: string; keyFile: string; dir: string };

/**
 * A throwaway certificate authority and a server certificate it signed for localhost and 127.0.0.1, made
 * with the openssl CLI. Clients trust the CA through the delivery service's explicit `extraCa` option;
 * nothing disables verification.
 */
export function createTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'delivery-pki-'));
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Rowline test CA');
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n');
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext.cnf');
  const certFile = join(dir, 'server.pem');
  const keyFile = join(dir, 'server.key');
  return { caPem: readFileSync(join(dir, 'ca.pem'), 'utf8'), certPem: readFileSync(certFile, 'utf8'), keyPem: readFileSync(keyFile, 'utf8'), certFile, keyFile, dir };
}
