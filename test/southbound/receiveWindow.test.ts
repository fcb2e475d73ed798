import { connect as http2Connect, type ClientHttp2Session } from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import type { SouthboundServer } from '../../src/southbound/agent/server';
import { RECEIVE_WINDOW_BYTES, raiseReceiveWindow } from '../../src/southbound/agent/receiveWindow';
import { silentLogger, startServer } from './helpers';

/** HTTP/2's initial window, for streams and for the connection. */
const DEFAULT_WINDOW = 65_535;

/** What a client connecting to `port` is allowed to send: the stream window the server advertises, and the connection's window. */
async function windowsOffered(port: number): Promise<{ stream: number | undefined; connection: number | undefined }> {
  const session: ClientHttp2Session = http2Connect(`http://127.0.0.1:${port}`);
  try {
    await new Promise<void>((resolve, reject) => {
      session.once('remoteSettings', () => resolve());
      session.once('error', reject);
    });
    // The server sends its own SETTINGS and WINDOW_UPDATE as the session opens, before it reads
    // anything: once a PING sent now is answered, they have arrived.
    await new Promise<void>((resolve, reject) => session.ping((error) => (error ? reject(error) : resolve())));
    return { stream: session.remoteSettings.initialWindowSize, connection: session.state.remoteWindowSize };
  } finally {
    session.destroy();
  }
}

describe('the southbound server lets a big transaction stream (HTTP/2 receive window)', () => {
  let server: SouthboundServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it(`offers every client a ${RECEIVE_WINDOW_BYTES / 1024 / 1024} MiB window per stream and per connection, not 64 KiB`, async () => {
    server = await startServer();
    expect(await windowsOffered(server.port)).toEqual({ stream: RECEIVE_WINDOW_BYTES, connection: RECEIVE_WINDOW_BYTES });
  });

  it('a plain grpc-js server offers 64 KiB (what the hook changes), and the hook finds its listener', async () => {
    const plain = new grpc.Server();
    try {
      const port = await new Promise<number>((resolve, reject) =>
        plain.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
      );
      expect(await windowsOffered(port)).toEqual({ stream: DEFAULT_WINDOW, connection: DEFAULT_WINDOW });
      expect(raiseReceiveWindow(plain, silentLogger, 1024 * 1024)).toBe(1);
      expect(await windowsOffered(port)).toEqual({ stream: 1024 * 1024, connection: 1024 * 1024 });
    } finally {
      plain.forceShutdown();
    }
  });
});
