import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SouthboundServer } from '../../src/southbound/agent/server';
import { NETWORK_DEPENDENCY_RULES } from '../../examples/network';
import { controllerMachine } from '../../machines/controller.machine';
import { freePort } from '../support/etcd';
import { CliProcess } from './cliProcess';

/**
 * `agent --inspect`: inspection events of the running controller reach a local WebSocket (no
 * internet). `ws` is what @statelyai/inspect itself depends on; it has no types installed here,
 * so the few calls used are typed below.
 */
interface WsSocket {
  on(event: 'message', listener: (data: Buffer) => void): void;
  on(event: 'open' | 'close', listener: () => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  close(): void;
}
interface WsServer {
  on(event: 'connection', listener: (socket: WsSocket) => void): void;
  once(event: 'listening', listener: () => void): void;
  address(): { port: number };
  close(callback?: () => void): void;
  clients: Set<WsSocket>;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ws = require('ws') as { WebSocketServer: new (options: { host: string; port: number }) => WsServer; WebSocket: new (url: string) => WsSocket };

interface InspectionMessage {
  type: string;
  name?: string;
  sessionId?: string;
  event?: { type?: string };
}

let southbound: SouthboundServer;
let dir: string;
let agent: CliProcess | undefined;

beforeAll(async () => {
  southbound = await SouthboundServer.start({ listen: '127.0.0.1:0', engineOptions: { dependencyRules: [...NETWORK_DEPENDENCY_RULES] } });
  dir = mkdtempSync(join(tmpdir(), 'cli-inspect-test-'));
});

afterEach(async () => {
  await agent?.stop();
  agent = undefined;
});

afterAll(async () => {
  await southbound?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function agentArgs(name: string): string[] {
  return ['agent', '--southbound', southbound.address, '--rest-port', '0', '--data-dir', join(dir, name), '--log-level', 'warn'];
}

async function waitFor(condition: () => boolean, what: string, limitMs = 30_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The controller machine's actor was announced and its snapshots followed. */
function sawController(messages: InspectionMessage[]): boolean {
  const actor = messages.find((m) => m.type === '@xstate.actor' && m.name === controllerMachine.id);
  return actor !== undefined && messages.some((m) => m.type === '@xstate.snapshot' && m.sessionId === actor.sessionId);
}

test('--inspect-url sends the controller actors to a WebSocket listener', async () => {
  const server = new ws.WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const messages: InspectionMessage[] = [];
  server.on('connection', (socket) => socket.on('message', (data) => messages.push(JSON.parse(data.toString()) as InspectionMessage)));
  try {
    agent = new CliProcess([...agentArgs('url'), '--inspect-url', `ws://127.0.0.1:${server.address().port}`]);
    await waitFor(() => sawController(messages), 'the controller actor and its snapshots');
    // The controller's own actors (handlers, transaction) are inspected too, and events are sent to them.
    await waitFor(() => messages.some((m) => m.type === '@xstate.event'), 'an inspected event');
    expect(messages.filter((m) => m.type === '@xstate.actor').length).toBeGreaterThan(1);
    agent.signal('SIGTERM');
    expect((await agent.exited).code).toBe(0);
    // Stopped by itself: the inspector's WebSocket left nothing open.
    expect(agent.stderr).toBe('');
  } finally {
    for (const client of server.clients) client.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('--inspect starts the local relay: its page embeds the inspector and a WebSocket client receives the events', async () => {
  const port = await freePort();
  agent = new CliProcess([...agentArgs('relay'), '--inspect', '--inspect-port', String(port)]);
  await agent.waitForOutput(new RegExp(`Stately inspector: open http://localhost:${port}`));
  const page = await (await fetch(`http://127.0.0.1:${port}/`)).text();
  expect(page).toContain('<iframe id="inspector"');
  const messages: InspectionMessage[] = [];
  const client = new ws.WebSocket(`ws://127.0.0.1:${port}`);
  client.on('message', (data) => messages.push(JSON.parse(data.toString()) as InspectionMessage));
  try {
    await waitFor(() => sawController(messages), 'the controller actor through the relay');
  } finally {
    client.close();
  }
  agent.signal('SIGTERM');
  expect((await agent.exited).code).toBe(0);
  expect(agent.stderr).not.toMatch(/handles were still open/);
});

test('--inspect on a port already taken: exit 1 with a clear error', async () => {
  const server = new ws.WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  try {
    agent = new CliProcess([...agentArgs('taken'), '--inspect', '--inspect-port', String(server.address().port)]);
    const { code } = await agent.exited;
    expect(code).toBe(1);
    expect(agent.stderr).toMatch(new RegExp(`^inspector: inspector relay port ${server.address().port} is not free: .*EADDRINUSE`));
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
