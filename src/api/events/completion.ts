/**
 * The result of an event for the producer that waits on it. The promise is marked as
 * handled at birth: an event nobody waits for must not crash Node with an unhandled rejection.
 */
export class Completion {
  private settled = false;
  private resolvePromise!: () => void;
  private rejectPromise!: (err: Error) => void;
  private readonly promise: Promise<void>;

  constructor() {
    this.promise = new Promise<void>((resolve, reject) => {
      this.resolvePromise = resolve;
      this.rejectPromise = reject;
    });
    this.promise.catch(() => undefined);
  }

  /** Settles once; later calls are ignored (an event is finished exactly once). */
  done(err?: Error | null): void {
    if (this.settled) return;
    this.settled = true;
    if (err) this.rejectPromise(err);
    else this.resolvePromise();
  }

  wait(): Promise<void> {
    return this.promise;
  }
}
