import type * as grpc from '@grpc/grpc-js';

/**
 * Writes messages to a server stream honouring back-pressure (waits for 'drain' when the
 * stream's buffer is full), so a 100,000-value dump or result does not pile up in memory at once.
 * Resolves false when the call was cancelled meanwhile.
 */
export async function writeAll<T>(call: grpc.ServerWritableStream<unknown, T> | grpc.ServerDuplexStream<unknown, T>, messages: Iterable<T>): Promise<boolean> {
  for (const message of messages) {
    if (call.cancelled || call.destroyed) return false;
    if (!call.write(message)) {
      const drained = await new Promise<boolean>((resolve) => {
        const onDrain = (): void => done(true);
        const onGone = (): void => done(false);
        const done = (value: boolean): void => {
          call.off('drain', onDrain);
          call.off('cancelled', onGone);
          call.off('close', onGone);
          resolve(value);
        };
        call.on('drain', onDrain);
        call.on('cancelled', onGone);
        call.on('close', onGone);
      });
      if (!drained) return false;
    }
  }
  return true;
}
