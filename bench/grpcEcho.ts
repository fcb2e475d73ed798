/**
 * The transport alone, beside the strict rows over gRPC: sequential round trips on one grpc-js
 * bidirectional stream over loopback, with messages of about a strict commit's sizes (a request
 * of 3 handlers × 2 values and its description, an answer with 6 executed operations), and
 * nothing else: no controller, no protocol encoding, no scheduler. What a strict commit can cost
 * at the least with @grpc/grpc-js on this machine. As a script, serves until SIGTERM.
 */
import * as grpc from '@grpc/grpc-js';
import type { SouthboundPlace } from './grpcRuns';
import { serveWhenMain, startListeningProcess, type RunningServer } from './grpcSouthboundProcess';

export const ECHO_REQUEST_BYTES = 600;
export const ECHO_REPLY_BYTES = 150;

const raw = (bytes: Buffer): Buffer => bytes;
const ECHO_SERVICE: grpc.ServiceDefinition = {
  Echo: { path: '/bench.Echo/Echo', requestStream: true, responseStream: true, requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw },
};

/** Answers every message of a stream with one of ECHO_REPLY_BYTES. */
export async function startEchoServer(): Promise<RunningServer> {
  const server = new grpc.Server();
  const reply = Buffer.alloc(ECHO_REPLY_BYTES, 1);
  server.addService(ECHO_SERVICE, {
    Echo: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
      call.on('data', () => call.write(reply));
      call.on('end', () => call.end());
      call.on('error', () => undefined);
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return { address: `127.0.0.1:${port}`, stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())) };
}

/** `count` round trips, each awaited before the next, on one stream; returns the elapsed milliseconds. */
export async function echoRoundTrips(address: string, count: number): Promise<number> {
  const EchoClient = grpc.makeGenericClientConstructor(ECHO_SERVICE, 'Echo');
  const client = new EchoClient(address, grpc.credentials.createInsecure());
  const call = (client as unknown as { Echo(): grpc.ClientDuplexStream<Buffer, Buffer> }).Echo();
  let answered: (() => void) | undefined;
  call.on('data', () => answered?.());
  const ended = new Promise<void>((resolve) => call.on('status', () => resolve()));
  call.on('error', () => undefined);
  const request = Buffer.alloc(ECHO_REQUEST_BYTES, 1);
  const roundTrip = (): Promise<void> =>
    new Promise<void>((resolve) => {
      answered = resolve;
      call.write(request);
    });
  try {
    return await timedRoundTrips(roundTrip, count);
  } finally {
    call.end();
    await ended;
    client.close();
  }
}

/** One untimed round trip (the connection is up before the clock), then `count` timed ones; the elapsed milliseconds. */
export async function timedRoundTrips(roundTrip: () => Promise<void>, count: number): Promise<number> {
  await roundTrip();
  const start = performance.now();
  for (let i = 0; i < count; i++) await roundTrip();
  return performance.now() - start;
}

/** Where the echo server runs: in this process, or in its own (as the reference southbound does in the own-process rows). */
export async function runEcho(place: SouthboundPlace, count: number): Promise<number> {
  const server = place === 'in-process' ? await startEchoServer() : await startListeningProcess('the echo server', [__filename]);
  try {
    return await echoRoundTrips(server.address, count);
  } finally {
    await server.stop();
  }
}

serveWhenMain(module, startEchoServer);
