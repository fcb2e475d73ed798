import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeStateWriter } from '../../src/dbwatcher/kubeStateWriter';
import { LmdbStore } from '../../src/dbwatcher/lmdbStore';
import { ResourceRegistry } from '../../src/dbwatcher/registry';
import { SouthboundServer } from '../../src/southbound/agent/server';
import { CliProcess } from './cliProcess';

/**
 * How `contivctl agent` stops when its handlers do not cooperate: a hung handler cannot keep it
 * from exiting (shutdownTimeout, naming the handler), and a long backlog does not delay the stop
 * (the Shutdown goes first; queued events are finished as closed).
 */

let southbound: SouthboundServer;
let dir: string;
let agent: CliProcess | undefined;
let store: LmdbStore | undefined;

beforeAll(async () => {
  southbound = await SouthboundServer.start({ listen: '127.0.0.1:0' });
  dir = mkdtempSync(join(tmpdir(), 'cli-shutdown-test-'));
});

afterEach(async () => {
  await agent?.stop();
  await store?.close();
  agent = store = undefined;
});

afterAll(async () => {
  await southbound?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A CommonJS handlers module, as users write them: `update` does what `body` says for every pod change. */
function handlersModule(name: string, body: string): string {
  const path = join(dir, `${name}.js`);
  writeFileSync(
    path,
    `exports.handlers = [{
  name: ${JSON.stringify(name)},
  handlesEvent: () => true,
  resync: () => undefined,
  update: (event) => { if (event.getName() !== 'Kubernetes State Change') return undefined; ${body} },
  revert: () => undefined,
}];
`,
  );
  return path;
}

async function startAgent(handlers: string, dataDir: string, extra: string[] = []): Promise<{ url: string; writer: KubeStateWriter }> {
  agent = new CliProcess(['agent', '--handlers', handlers, '--southbound', southbound.address, '--rest-port', '0', '--data-dir', join(dir, dataDir), ...extra]);
  const url = await agent.restUrl();
  await until(async () => (await fetch(`${url}/readyz`)).status === 200, 'the agent to be ready');
  store = new LmdbStore({ dataDir: join(dir, dataDir) });
  return { url, writer: new KubeStateWriter(store, ResourceRegistry.withBuiltins()) };
}

async function until(check: () => Promise<boolean>, what: string, limitMs = 30_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${agent?.stdout.slice(-3000) ?? ''}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function state(url: string): Promise<{ state: string; queueDepths: { main: number } }> {
  return (await (await fetch(`${url}/controller/state`)).json()) as { state: string; queueDepths: { main: number } };
}

test('a handler that never returns: SIGTERM ends the agent after shutdownTimeout with exit code 1, naming the handler and the event', async () => {
  const { url, writer } = await startAgent(handlersModule('stuck', 'return new Promise(() => undefined);'), 'hung', ['--shutdown-timeout', '1000', '--controller-handler-timeout', '0']);
  await writer.putResource('pod', { name: 'p1', namespace: 'default' });
  await until(async () => (await state(url)).state === 'updating', 'the pod change to be stuck in its handler');
  agent?.signal('SIGTERM');
  const { code } = await (agent as CliProcess).exited;
  expect(code).toBe(1);
  const line = (agent as CliProcess).stdout.split('\n').find((l) => l.includes('did not finish within shutdownTimeout'));
  expect(JSON.parse(line ?? '{}')).toMatchObject({
    level: 60,
    msg: 'the stop did not finish within shutdownTimeout (1000 ms): exiting',
    heldBy: expect.stringMatching(/^handler "stuck" in update\(\) of event #1 \(Kubernetes State Change\), running for \d+\.\d s$/) as unknown as string,
  });
});

test('SIGTERM with 900 events queued: the Shutdown goes first, the backlog is finished as closed, exit 0', async () => {
  const historyFile = join(dir, 'backlog-history.json');
  const { url, writer } = await startAgent(handlersModule('slow', 'return new Promise((resolve) => setTimeout(resolve, 20));'), 'backlog', ['--history-out', historyFile]);
  for (let n = 0; n < 900; n++) await writer.putResource('pod', { name: `p${n}`, namespace: 'default' });
  await until(async () => (await state(url)).queueDepths.main >= 800, '800 events queued');
  agent?.signal('SIGTERM');
  const { code } = await (agent as CliProcess).exited;
  expect(code).toBe(0);
  const history = JSON.parse(readFileSync(historyFile, 'utf8')) as { name: string }[];
  expect(history[history.length - 1].name).toBe('Shutdown');
  // Most of the backlog was never processed: it did not hold the stop.
  expect(history.filter((r) => r.name === 'Kubernetes State Change').length).toBeLessThan(100);
});
