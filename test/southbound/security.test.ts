import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { SouthboundUnavailableError, TransactionError } from '../../src/api/errors';
import { SouthboundCallError, SouthboundRefusedError, SouthboundTlsError } from '../../src/southbound/grpc/errors';
import { SouthboundServerError } from '../../src/southbound/agent/server';
import { connect, iface, startServer, txn } from './helpers';

describe('bearer token', () => {
  it('refuses calls without the token and accepts them with it', async () => {
    const server = await startServer({ token: 's3cret' });
    const anonymous = connect(server);
    const wrong = connect(server, { token: 'guess' });
    const authorized = connect(server, { token: 's3cret' });
    try {
      const refused = anonymous.commit(txn([['a', iface('a')]]));
      // A configuration error, not an outage: a TransactionError that is not SouthboundUnavailableError.
      await expect(refused).rejects.toBeInstanceOf(SouthboundRefusedError);
      await expect(refused).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED, initError: expect.stringContaining('missing or invalid bearer token') });
      await expect(refused).rejects.not.toBeInstanceOf(SouthboundUnavailableError);
      await expect(wrong.dumpState()).rejects.toBeInstanceOf(SouthboundCallError);
      expect((await authorized.commit(txn([['a', iface('a')]]))).seqNum).toBe(1n);
      expect(server.engine.dump().map((s) => s.key)).toEqual(['a']);
    } finally {
      await Promise.all([anonymous.close(), wrong.close(), authorized.close()]);
      await server.stop();
    }
  });
});

describe('TLS', () => {
  let dir: string;
  const pem = (name: string): Buffer => readFileSync(join(dir, name));

  beforeAll(() => {
    if (spawnSync('openssl', ['version']).status !== 0) {
      throw new Error('openssl is needed to make the test certificates: run scripts/install-test-deps.sh');
    }
    dir = mkdtempSync(join(tmpdir(), 'southbound-tls-'));
    const openssl = (...args: string[]): void => {
      execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    };
    for (const ca of ['ca', 'other-ca']) {
      openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${ca}.key`, '-out', `${ca}.pem`, '-days', '1', '-subj', `/CN=test-${ca}`);
    }
    writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    writeFileSync(join(dir, 'elsewhere.ext'), 'subjectAltName=DNS:elsewhere.example\n');
    for (const name of ['server', 'client']) {
      openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    }
    const sign = (csr: string, out: string, days: string, ext?: string): void =>
      openssl('x509', '-req', '-in', csr, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', out, '-days', days, ...(ext ? ['-extfile', ext] : []));
    sign('server.csr', 'server.pem', '1', 'server.ext');
    sign('client.csr', 'client.pem', '1');
    sign('server.csr', 'elsewhere.pem', '1', 'elsewhere.ext');
    // Valid until yesterday.
    sign('server.csr', 'expired.pem', '-1', 'server.ext');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('commits over mutual TLS', async () => {
    const server = await startServer({ tls: { cert: pem('server.pem'), key: pem('server.key'), clientCa: pem('ca.pem') } });
    const trusted = connect(server, { tls: { ca: pem('ca.pem'), cert: pem('client.pem'), key: pem('client.key') } });
    try {
      expect((await trusted.commit(txn([['a', iface('a')]]))).seqNum).toBe(1n);
      expect(server.engine.dump().map((s) => s.key)).toEqual(['a']);
    } finally {
      await trusted.close();
      await server.stop();
    }
  });

  it.each([
    ['an unknown CA', 'server.pem', 'other-ca.pem', false, 'unknown-ca', /not signed by a CA this client trusts/],
    ['a name mismatch', 'elsewhere.pem', 'ca.pem', false, 'name-mismatch', /not valid for "127\.0\.0\.1"/],
    ['an expired certificate', 'expired.pem', 'ca.pem', false, 'expired', /certificate has expired/],
    ['a missing client certificate', 'server.pem', 'ca.pem', true, 'client-certificate-required', /requires a client certificate/],
  ])('names the cause of %s: SouthboundTlsError, a configuration error rather than an outage', async (_what, cert, ca, clientCertRequired, reason, message) => {
    const server = await startServer({ tls: { cert: pem(cert), key: pem('server.key'), clientCa: clientCertRequired ? pem('ca.pem') : undefined } });
    const client = connect(server, { tls: { ca: pem(ca) }, connectTimeoutMs: 500 });
    try {
      const failed: unknown = await client.commit(txn([['a', iface('a')]])).catch((error: unknown) => error);
      expect(failed).toBeInstanceOf(SouthboundTlsError);
      expect(failed).toBeInstanceOf(TransactionError);
      expect(failed).not.toBeInstanceOf(SouthboundUnavailableError);
      expect(failed).toMatchObject({ reason, initError: expect.stringMatching(message) });
      expect(server.engine.dump()).toEqual([]);
    } finally {
      await client.close();
      await server.stop();
    }
  });
});

describe('a bearer token that is empty', () => {
  it.each([[''], ['  \n\t ']])('stops the server from starting (%j): it never runs without authentication by mistake', async (token) => {
    await expect(startServer({ token })).rejects.toThrow(SouthboundServerError);
    await expect(startServer({ token })).rejects.toThrow(/bearer token is empty/);
  });
});
