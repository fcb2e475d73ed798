import { createServer, type AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GrpcSouthbound } from '../../src/southbound/grpc/client';
import { parseSouthboundArgs, runSouthboundCommand } from '../../src/southbound/agent/cli';
import { iface, route, silentLogger, testTypes, txn, waitFor } from './helpers';

describe('southbound command line', () => {
  it('prints the usage for --help', async () => {
    let out = '';
    expect(await runSouthboundCommand(['--help'], { out: (t) => (out += t) })).toBe(0);
    expect(out).toContain('--listen host:port');
  });

  it('exits 2 on an unknown option', async () => {
    let err = '';
    expect(await runSouthboundCommand(['--bogus'], { err: (t) => (err += t) })).toBe(2);
    expect(err).toContain('bogus');
  });

  it.each([['an empty file', ''], ['a file of whitespace', ' \n \t\n']])('refuses to start with --token-file naming %s (exit 2), never without authentication', async (_what, content) => {
    const dir = mkdtempSync(join(tmpdir(), 'southbound-cli-'));
    try {
      const tokenFile = join(dir, 'token');
      writeFileSync(tokenFile, content);
      let err = '';
      let out = '';
      expect(await runSouthboundCommand(['--listen', '127.0.0.1:0', '--token-file', tokenFile], { err: (t) => (err += t), out: (t) => (out += t), logger: silentLogger })).toBe(2);
      expect(err).toContain(`--token-file ${tokenFile} is empty: it must hold the bearer token`);
      expect(out).not.toContain('listening');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a CONTIVCTL_SOUTHBOUND_TOKEN of whitespace, takes a token with its whitespace trimmed, refuses the old variable name', () => {
    expect(() => parseSouthboundArgs([], { CONTIVCTL_SOUTHBOUND_TOKEN: '   ' })).toThrow(/CONTIVCTL_SOUTHBOUND_TOKEN holds only whitespace/);
    expect(parseSouthboundArgs([], { CONTIVCTL_SOUTHBOUND_TOKEN: ' s3cret\n' }).token).toBe('s3cret');
    expect(parseSouthboundArgs([], {}).token).toBeUndefined();
    expect(() => parseSouthboundArgs([], { SOUTHBOUND_TOKEN: 'old' })).toThrow('SOUTHBOUND_TOKEN is not read: set CONTIVCTL_SOUTHBOUND_TOKEN');
  });

  it('names a garbage PEM file and the flag that gave it, before listening (exit 2)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'southbound-cli-'));
    try {
      const garbage = join(dir, 'garbage.pem');
      writeFileSync(garbage, 'not a certificate');
      let err = '';
      expect(await runSouthboundCommand(['--listen', '127.0.0.1:0', '--tls-cert', garbage, '--tls-key', garbage], { err: (t) => (err += t), logger: silentLogger })).toBe(2);
      expect(err).toBe(`southbound: --tls-cert: ${garbage} holds no PEM certificate (expected "-----BEGIN CERTIFICATE-----")\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says when its port is in use, and how to choose another (exit 1)', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      let err = '';
      expect(await runSouthboundCommand(['--listen', `127.0.0.1:${port}`], { err: (t) => (err += t), logger: silentLogger })).toBe(1);
      expect(err).toBe(`southbound: southbound port ${port} is in use (on 127.0.0.1); pass --listen host:port with a free port\n`);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('takes the bounds of unfinished transactions and of the recorded history as settings', () => {
    const options = parseSouthboundArgs(['--max-txn-bytes', '1048576', '--txn-assembly-timeout-ms', '5000', '--max-recorded-txns', '50'], {});
    expect(options).toMatchObject({ maxTxnBytes: 1048576, txnAssemblyTimeoutMs: 5000, engineOptions: { maxRecordedTxns: 50 } });
    expect(() => parseSouthboundArgs(['--max-txn-bytes', '0'], {})).toThrow(/--max-txn-bytes must be a positive integer/);
  });

  it('exits 1 when it cannot listen', async () => {
    let err = '';
    expect(await runSouthboundCommand(['--listen', '256.0.0.1:1'], { err: (t) => (err += t), logger: silentLogger })).toBe(1);
    expect(err).toContain('cannot listen');
  });

  it('serves the protocol with dependency rules from a file until stopped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'southbound-cli-'));
    const rules = join(dir, 'rules.json');
    writeFileSync(rules, JSON.stringify([{ key: '^config/route/(\\w+)/', dependsOn: ['config/interface/$1'] }]));
    const stop = new AbortController();
    let out = '';
    const exit = runSouthboundCommand(['--listen', '127.0.0.1:0', '--rules', rules], { out: (t) => (out += t), signal: stop.signal, logger: silentLogger });
    let client: GrpcSouthbound | undefined;
    try {
      const address = await waitFor(() => /listening on (\S+)/.exec(out)?.[1], 'the server to listen', 15_000);
      client = new GrpcSouthbound({ address, logger: silentLogger, types: testTypes });
      await client.commit(txn([['config/route/eth0/r', route('r', 'eth0')]]));
      expect((await client.getValueStatus('config/route/eth0/r')).state).toBe('PENDING');
      await client.commit(txn([['config/interface/eth0', iface('eth0')]]));
      expect((await client.getValueStatus('config/route/eth0/r')).state).toBe('CONFIGURED');
    } finally {
      await client?.close();
      stop.abort();
      rmSync(dir, { recursive: true, force: true });
    }
    expect(await exit).toBe(0);
  });
});
