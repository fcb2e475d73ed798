import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SouthboundServer } from '../../src/southbound/agent/server';
import { CliProcess } from './cliProcess';

/**
 * A fatal controller stops `contivctl agent` with exit code 3, so that its supervisor restarts it;
 * `--stay-on-fatal` keeps it running (not live) for debugging.
 */

let southbound: SouthboundServer;
let dir: string;
let agent: CliProcess | undefined;
let handlersModule: string;

beforeAll(async () => {
  southbound = await SouthboundServer.start({ listen: '127.0.0.1:0' });
  dir = mkdtempSync(join(tmpdir(), 'cli-fatal-test-'));
  handlersModule = join(dir, 'doomed-handlers.js');
  // A CommonJS handlers module, as users write them; it uses the built package.
  writeFileSync(
    handlersModule,
    `const { FatalError } = require(${JSON.stringify(join(__dirname, '..', '..', 'dist', 'src'))});
exports.handlers = [{
  name: 'doomed',
  handlesEvent: () => true,
  resync: () => { throw new FatalError(new Error('doomed by design')); },
  update: () => undefined,
  revert: () => undefined,
}];
`,
  );
});

afterEach(async () => {
  await agent?.stop();
  agent = undefined;
});

afterAll(async () => {
  await southbound?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const agentArgs = (dataDir: string) => ['agent', '--handlers', handlersModule, '--southbound', southbound.address, '--rest-port', '0', '--data-dir', join(dir, dataDir)];

test('a fatal controller stops the agent: Shutdown, a fatal log line naming the reason, exit code 3', async () => {
  agent = new CliProcess(agentArgs('exits'));
  const { code } = await agent.exited;
  expect(code).toBe(3);
  expect(agent.stdout).toMatch(/"msg":"controller is fatal: stopping the agent so that it is restarted"/);
  expect(agent.stdout).toMatch(/"reason":"doomed by design"/);
  expect(agent.stdout).toMatch(/"msg":"agent stopped"/);
});

test('--stay-on-fatal keeps the agent up (live 503) until a signal; it then exits with code 3', async () => {
  agent = new CliProcess([...agentArgs('stays'), '--stay-on-fatal']);
  const url = await agent.restUrl();
  const deadline = Date.now() + 30_000;
  let live = 200;
  while (live !== 503) {
    if (Date.now() > deadline) throw new Error(`the agent never went fatal:\n${agent.stdout.slice(-3000)}`);
    live = (await fetch(`${url}/livez`)).status;
    if (live !== 503) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(agent.running).toBe(true);
  agent.signal('SIGTERM');
  const { code } = await agent.exited;
  expect(code).toBe(3);
});
