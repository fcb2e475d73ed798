import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdStore } from '../../src/dbwatcher/etcdStore';
import { KubeStateWriter } from '../../src/dbwatcher/kubeStateWriter';
import { SouthboundServer } from '../../src/southbound/agent/server';
import { NETWORK_DEPENDENCY_RULES, networkKeys, networkResourceRegistry, podTapName } from '../../examples/network';
import { findEtcdBinary, freePort } from '../support/etcd';
import { CliProcess } from './cliProcess';
import { makeCertificates } from './testCertificates';

/**
 * `agent` with etcd over mutual TLS, configured by a YAML file whose certificate paths are
 * relative to the file. etcd is started here with TLS (test/support/etcd.ts starts it in plain).
 */

let dir: string;
let etcd: ChildProcess | undefined;
let etcdExited: Promise<void> = Promise.resolve();
let endpoint: string;
let southbound: SouthboundServer;
let agent: CliProcess | undefined;
let store: EtcdStore | undefined;
const pem = (name: string): Buffer => readFileSync(join(dir, 'certs', name));

async function startEtcdWithTls(): Promise<void> {
  const clientPort = await freePort();
  const peerUrl = `http://127.0.0.1:${await freePort()}`;
  const clientUrl = `https://127.0.0.1:${clientPort}`;
  endpoint = `127.0.0.1:${clientPort}`;
  const certs = join(dir, 'certs');
  const child = spawn(
    findEtcdBinary(),
    [
      '--name', 'tls', '--data-dir', join(dir, 'etcd'),
      '--listen-client-urls', clientUrl, '--advertise-client-urls', clientUrl,
      '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl, '--initial-cluster', `tls=${peerUrl}`,
      '--cert-file', join(certs, 'server.pem'), '--key-file', join(certs, 'server.key'),
      '--client-cert-auth', '--trusted-ca-file', join(certs, 'ca.pem'),
      '--logger', 'zap', '--log-level', 'warn',
    ],
    { stdio: 'ignore' },
  );
  etcd = child;
  etcdExited = new Promise((resolve) => child.once('exit', () => resolve()));
  store = new EtcdStore({ endpoints: [endpoint], tls: { ca: pem('ca.pem'), cert: pem('client.pem'), key: pem('client.key') } });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await store.probe(1000);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`etcd with TLS did not answer on ${endpoint}: ${(error as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cli-etcd-tls-'));
  makeCertificates(dir);
  await startEtcdWithTls();
  southbound = await SouthboundServer.start({ listen: '127.0.0.1:0', engineOptions: { dependencyRules: [...NETWORK_DEPENDENCY_RULES] } });
});

afterAll(async () => {
  await agent?.stop();
  await store?.close();
  await southbound?.stop();
  if (etcd) {
    etcd.kill('SIGTERM');
    await etcdExited;
  }
  rmSync(dir, { recursive: true, force: true });
});

test('agent reads etcd over mutual TLS with the certificates of its config file', async () => {
  const config = join(dir, 'agent.yaml');
  writeFileSync(
    config,
    [
      'etcd:',
      `  endpoints: ["${endpoint}"]`,
      '  tls: { ca: certs/ca.pem, cert: certs/client.pem, key: certs/client.key }',
      `southbound: { address: "${southbound.address}" }`,
      'rest: { port: 0 }',
      'dataDir: agent-data',
    ].join('\n'),
  );
  const writer = new KubeStateWriter(store as EtcdStore, networkResourceRegistry());
  await writer.putResource('pod', { name: 'secure', namespace: 'default' });
  agent = new CliProcess(['agent', '--config', config]);
  const url = await agent.restUrl();
  const tap = networkKeys.interface(podTapName('default', 'secure'));
  const deadline = Date.now() + 30_000;
  while (southbound.engine.getValueStatus(tap).state !== 'CONFIGURED') {
    if (Date.now() > deadline) throw new Error(`the pod's TAP never reached the southbound\n${agent.stdout.slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // The commit comes before the event is finalized in the history.
  let history: { name: string; description: string }[] = [];
  while (history.length === 0) {
    if (Date.now() > deadline) throw new Error('the startup resync never reached the history');
    history = (await (await fetch(`${url}/controller/event-history`)).json()) as typeof history;
  }
  expect(history[0].name).toBe('Database Resync');
  expect(history[0].description).toContain('pod: [default/secure]');
  agent.signal('SIGTERM');
  expect((await agent.exited).code).toBe(0);
});
