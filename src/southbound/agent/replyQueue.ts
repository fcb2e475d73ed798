import type * as grpc from '@grpc/grpc-js';

type SessionCall = grpc.ServerDuplexStream<unknown, Buffer>;

/**
 * The answers of one session, written in order with back-pressure: synchronously while the stream
 * takes them (no promise per answer on the hot path), waiting for 'drain' when its buffer is full.
 */
export class ReplyQueue {
  private readonly queue: Iterator<Buffer>[] = [];
  private draining = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly call: SessionCall,
    private readonly onError: (error: unknown) => void,
  ) {
    call.on('drain', () => {
      this.draining = false;
      this.pump();
    });
  }

  push(messages: Iterable<Buffer>): void {
    this.queue.push(messages[Symbol.iterator]());
    if (!this.draining) this.pump();
  }

  /** Resolves once everything pushed so far is written, or the stream is gone. */
  idle(): Promise<void> {
    if (this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** The stream is gone: nothing more will be written. */
  abandon(): void {
    this.queue.length = 0;
    this.settleIdle();
  }

  private pump(): void {
    while (this.queue.length > 0) {
      if (this.call.cancelled || this.call.destroyed) return this.abandon();
      let next: IteratorResult<Buffer>;
      try {
        next = this.queue[0].next();
      } catch (error) {
        this.queue.shift();
        this.onError(error);
        continue;
      }
      if (next.done) {
        this.queue.shift();
        continue;
      }
      if (!this.call.write(next.value)) {
        this.draining = true;
        return;
      }
    }
    this.settleIdle();
  }

  private settleIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
