import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './cliProcess';
import { makeCertificates } from './testCertificates';

/**
 * TLS files that cannot work stop the agent at start, before anything listens or connects, with
 * exit code 2 and a message naming the setting, the file and the reason (checked with Node's
 * crypto and TLS APIs): before, a garbage CA started the agent, which later only said "unreachable".
 */

let dir: string;
let certs: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cli-tls-files-'));
  certs = makeCertificates(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const agent = (...flags: string[]) => ['agent', '--rest-port', '0', '--data-dir', join(dir, 'data'), '--southbound', '127.0.0.1:9', ...flags];

test.each([
  ['a CA that is not PEM', () => ['--southbound-tls-ca', join(certs, 'garbage.pem')], /^agent: invalid agent config: southbound\.tls\.ca \(flag --southbound-tls-ca\): .*garbage\.pem holds no PEM certificate \(expected "-----BEGIN CERTIFICATE-----"\)\n$/],
  ['a CA whose certificate does not parse', () => ['--southbound-tls-ca', join(certs, 'truncated.pem')], /^agent: invalid agent config: southbound\.tls\.ca \(flag --southbound-tls-ca\): the certificate in .*truncated\.pem does not parse: /],
  ['a client certificate that is garbage', () => ['--southbound-tls-ca', join(certs, 'ca.pem'), '--southbound-tls-cert', join(certs, 'garbage.pem'), '--southbound-tls-key', join(certs, 'client.key')], /^agent: invalid agent config: southbound\.tls\.cert \(flag --southbound-tls-cert\): .*garbage\.pem holds no PEM certificate/],
  ['a key that is not a key', () => ['--southbound-tls-ca', join(certs, 'ca.pem'), '--southbound-tls-cert', join(certs, 'client.pem'), '--southbound-tls-key', join(certs, 'client.pem')], /^agent: invalid agent config: southbound\.tls\.key \(flag --southbound-tls-key\): .*client\.pem is not a usable PEM private key: /],
  ['a key of another certificate', () => ['--southbound-tls-ca', join(certs, 'ca.pem'), '--southbound-tls-cert', join(certs, 'client.pem'), '--southbound-tls-key', join(certs, 'server.key')], /^agent: invalid agent config: southbound\.tls\.key \(flag --southbound-tls-key\): .*server\.key does not belong to the certificate .*client\.pem: .*key values mismatch/],
  ['an unreadable key', () => ['--etcd-endpoints', '127.0.0.1:2379', '--etcd-tls-ca', join(certs, 'ca.pem'), '--etcd-tls-cert', join(certs, 'client.pem'), '--etcd-tls-key', join(certs, 'missing.key')], /^agent: invalid agent config: etcd\.tls\.key \(flag --etcd-tls-key\): cannot read .*missing\.key: ENOENT/],
])('%s: exit 2 naming the setting, the file and the reason, and nothing started', async (_what, flags, message) => {
  const result = await runCli(agent(...flags()));
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(message);
  expect(result.stdout).toBe('');
});

test('good certificates pass the check (config print shows them)', async () => {
  const result = await runCli(['config', 'print', '--southbound-tls-ca', join(certs, 'ca.pem'), '--southbound-tls-cert', join(certs, 'client.pem'), '--southbound-tls-key', join(certs, 'client.key')]);
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/southbound\.tls\.key +\S+client\.key +flag --southbound-tls-key/);
});
