import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A test CA with a server (127.0.0.1, localhost) and a client certificate, made with the openssl
 * the test command installs; and files that are not what they claim to be, for the error tests.
 * Returns the folder: ca.pem, server.pem/.key, client.pem/.key, garbage.pem, truncated.pem.
 */
export function makeCertificates(dir: string): string {
  if (spawnSync('openssl', ['version']).status !== 0) throw new Error('openssl is needed to make the test certificates: run scripts/install-test-deps.sh');
  const certs = join(dir, 'certs');
  mkdirSync(certs, { recursive: true });
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: certs, stdio: 'ignore' });
  };
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=test-ca');
  writeFileSync(join(certs, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  for (const name of ['server', 'client']) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '1', ...(name === 'server' ? ['-extfile', 'server.ext'] : []));
  }
  writeFileSync(join(certs, 'garbage.pem'), 'this is not a certificate\n');
  writeFileSync(join(certs, 'truncated.pem'), '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ\n-----END CERTIFICATE-----\n');
  return certs;
}
