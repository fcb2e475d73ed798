/**
 * Runs async tasks one at a time, in the order they were added. The watcher uses it so that a
 * resync, the changes after it and the local-DB fallback never interleave, and a watch
 * listener's changes are handled strictly in revision order.
 */
export class SerialQueue {
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;

  /** Queues `task`; the returned promise settles with it. A failing task does not stop later ones. */
  run<T>(task: () => Promise<T> | T): Promise<T> {
    this.pending++;
    const result = this.tail.then(task);
    this.tail = result.then(
      () => void this.pending--,
      () => void this.pending--,
    );
    return result;
  }

  /** Tasks queued or running. */
  get size(): number {
    return this.pending;
  }

  /** Resolves when every task queued so far has settled. */
  drain(): Promise<void> {
    return this.tail;
  }
}
