/**
 * The floor below grpc-js: sequential round trips on one plain TCP connection (node:net, no
 * HTTP/2, no gRPC framing), with the same message sizes as bench/grpcEcho.ts, between this
 * process and an echo server in a child process. Whatever a strict commit to a southbound in
 * another process costs, it costs at least this on this machine: the wake-ups of two processes.
 * As a script, serves until SIGTERM.
 */
import { createConnection, createServer, type Socket } from 'node:net';
import { ECHO_REPLY_BYTES, ECHO_REQUEST_BYTES, timedRoundTrips } from './grpcEcho';
import { serveWhenMain, startListeningProcess, type RunningServer } from './grpcSouthboundProcess';

/** Answers every ECHO_REQUEST_BYTES received with ECHO_REPLY_BYTES, however TCP cuts the stream. */
function startSocketEchoServer(): Promise<RunningServer> {
  const reply = Buffer.alloc(ECHO_REPLY_BYTES, 1);
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    let received = 0;
    socket.on('data', (chunk) => {
      received += chunk.length;
      for (; received >= ECHO_REQUEST_BYTES; received -= ECHO_REQUEST_BYTES) socket.write(reply);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({
        address: `127.0.0.1:${port}`,
        stop: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

/** `count` round trips, each awaited before the next, on one connection; returns the elapsed milliseconds. */
async function socketRoundTrips(address: string, count: number): Promise<number> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  const socket = createConnection({ host, port, noDelay: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let pending = 0;
  let answered: (() => void) | undefined;
  socket.on('data', (chunk) => {
    pending -= chunk.length;
    if (pending <= 0) answered?.();
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const request = Buffer.alloc(ECHO_REQUEST_BYTES, 1);
  const roundTrip = (): Promise<void> =>
    new Promise<void>((resolve) => {
      answered = resolve;
      pending = ECHO_REPLY_BYTES;
      socket.write(request);
    });
  try {
    return await timedRoundTrips(roundTrip, count);
  } finally {
    socket.end();
    await closed;
  }
}

/** Round trips to an echo server in its own process (the place of the reference southbound in the own-process rows). */
export async function runSocketEcho(count: number): Promise<number> {
  const server = await startListeningProcess('the socket echo server', [__filename]);
  try {
    return await socketRoundTrips(server.address, count);
  } finally {
    await server.stop();
  }
}

serveWhenMain(module, startSocketEchoServer);
