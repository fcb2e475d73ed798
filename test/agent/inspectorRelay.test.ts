import { WebSocket } from 'ws';
import { startInspectorRelay } from '../../src/agent/inspectorRelay';
import { InspectorError } from '../../src/agent/inspectorError';

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

function nextMessage(socket: WebSocket): Promise<string> {
  return new Promise((resolve) => socket.once('message', (data) => resolve(data.toString())));
}

describe('the inspector relay', () => {
  test('listens on loopback, serves the bridge page, relays messages and replays them to late browsers', async () => {
    const relay = await startInspectorRelay(0);
    expect(relay.address).toBe('127.0.0.1');
    const agent = await open(`ws://127.0.0.1:${relay.port}`);
    const browser = await open(`ws://127.0.0.1:${relay.port}`);
    try {
      const page = await (await fetch(`http://127.0.0.1:${relay.port}/`)).text();
      expect(page).toContain('<iframe id="inspector" src="https://stately.ai/inspect">');
      const received = nextMessage(browser);
      agent.send(JSON.stringify({ type: '@xstate.event', n: 1 }));
      expect(JSON.parse(await received)).toEqual({ type: '@xstate.event', n: 1 });
      const late = new WebSocket(`ws://127.0.0.1:${relay.port}`);
      const replayed = nextMessage(late);
      expect(JSON.parse(await replayed)).toEqual({ type: '@xstate.event', n: 1 });
      late.close();
    } finally {
      agent.close();
      browser.close();
      await relay.stop();
    }
  });

  test('a taken port is a clear InspectorError', async () => {
    const first = await startInspectorRelay(0);
    try {
      await expect(startInspectorRelay(first.port)).rejects.toThrow(InspectorError);
    } finally {
      await first.stop();
    }
  });
});
