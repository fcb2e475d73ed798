import type * as grpc from '@grpc/grpc-js';
import { valueStatusFromWire } from './convert';
import { SouthboundCallError, grpcCode } from './errors';
import type { ValueStatus } from './model';
import type { WireWatchValueStatusResponse } from './wire';

/** An open WatchValueStatus stream. */
export interface ValueStatusWatch {
  /** Cancels the stream. */
  close(): void;
  /** Resolves when the stream ends (closed, server stopped, or broken). */
  readonly ended: Promise<void>;
}

/** Resolves once the server confirmed the watch (its first message), rejects if it fails first. */
export function openValueStatusWatch(
  stream: grpc.ClientReadableStream<WireWatchValueStatusResponse>,
  onStatus: (status: ValueStatus) => void,
  onInstance: (instanceId: string) => void,
): Promise<ValueStatusWatch> {
  return new Promise<ValueStatusWatch>((resolve, reject) => {
    let ready = false;
    let endStream: () => void = () => undefined;
    const ended = new Promise<void>((resolveEnded) => {
      endStream = resolveEnded;
    });
    const watch: ValueStatusWatch = { close: () => stream.cancel(), ended };
    stream.on('data', (message: WireWatchValueStatusResponse) => {
      onInstance(message.instanceId);
      if (message.ready && !ready) {
        ready = true;
        resolve(watch);
      }
      for (const status of message.statuses) onStatus(valueStatusFromWire(status));
    });
    stream.on('error', (error: unknown) => {
      // Cancelling our own watch surfaces as a CANCELLED error: that is the normal end.
      if (!ready) reject(new SouthboundCallError('WatchValueStatus', grpcCode(error), error));
    });
    stream.on('close', () => endStream());
    stream.on('end', () => endStream());
  });
}
