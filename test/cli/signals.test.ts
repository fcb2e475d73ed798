import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/etcd';
import { CliProcess, processAlive } from './cliProcess';

let dir: string;
let agent: CliProcess | undefined;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cli-signals-test-'));
});

afterAll(async () => {
  await agent?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a second signal during the graceful stop forces the exit with code 130', async () => {
  // Nothing listens on the southbound port: the startup resync's commit waits for a connection
  // (3 s), so the graceful stop that the first signal starts cannot finish before the second.
  const southboundPort = await freePort();
  agent = new CliProcess(['agent', '--southbound', `127.0.0.1:${southboundPort}`, '--rest-port', '0', '--data-dir', join(dir, 'agent')]);
  const url = await agent.restUrl();
  const deadline = Date.now() + 20_000;
  for (;;) {
    const state = (await (await fetch(`${url}/controller/state`)).json()) as { state?: string };
    if (state.state === 'resyncing') break;
    if (Date.now() > deadline) throw new Error(`the agent never started its startup resync: ${JSON.stringify(state)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  agent.signal('SIGTERM');
  await agent.waitForOutput(/"msg":"shutting down \(a second signal forces exit\)"/);
  agent.signal('SIGINT');
  const { code } = await agent.exited;
  expect(code).toBe(130);
  expect(agent.stdout).toMatch(/"msg":"second signal: forcing exit"/);
  expect(processAlive(agent.pid)).toBe(false);
});
