import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { SouthboundUnavailableError, TransactionError } from '../../src/api/errors';
import { SouthboundCallError, SouthboundRefusedError } from '../../src/southbound/grpc/errors';
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

describe('TLS with a client certificate', () => {
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
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=test-ca');
    writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    for (const name of ['server', 'client']) {
      openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
      const ext = name === 'server' ? ['-extfile', 'server.ext'] : [];
      openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '1', ...ext);
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('commits over mutual TLS and refuses a client without a certificate', async () => {
    const server = await startServer({ tls: { cert: pem('server.pem'), key: pem('server.key'), clientCa: pem('ca.pem') } });
    const trusted = connect(server, { tls: { ca: pem('ca.pem'), cert: pem('client.pem'), key: pem('client.key') } });
    const noCert = connect(server, { tls: { ca: pem('ca.pem') }, connectTimeoutMs: 1000 });
    try {
      expect((await trusted.commit(txn([['a', iface('a')]]))).seqNum).toBe(1n);
      await expect(noCert.commit(txn([['b', iface('b')]]))).rejects.toBeInstanceOf(TransactionError);
      expect(server.engine.dump().map((s) => s.key)).toEqual(['a']);
    } finally {
      await Promise.all([trusted.close(), noCert.close()]);
      await server.stop();
    }
  });
});
