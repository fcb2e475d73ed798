/** The smallest backing array; below it, a FIFO never shrinks. */
const MIN_CAPACITY = 16;

/**
 * A FIFO on a circular array: push and shift are O(1), and a FIFO that stays about the same size
 * (a history of 10,000 records, a queue) keeps one array for good. Shifting from the front of a
 * plain array is O(n); a FIFO that copied its live part out every few thousand shifts handed the
 * garbage collector a new array of every live item each time. It grows by doubling and shrinks by
 * half when a quarter full, so a burst does not hold its memory for good either.
 */
export class Fifo<T> {
  private items: (T | undefined)[] = new Array<T | undefined>(MIN_CAPACITY).fill(undefined);
  private head = 0;
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(item: T): void {
    if (this.count === this.items.length) this.resize(this.items.length * 2);
    this.items[(this.head + this.count) & (this.items.length - 1)] = item;
    this.count++;
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & (this.items.length - 1);
    this.count--;
    if (this.items.length > MIN_CAPACITY && this.count < this.items.length / 4) this.resize(this.items.length / 2);
    return item;
  }

  /** The item `index` places after the oldest (0 = the oldest). */
  at(index: number): T | undefined {
    return index >= 0 && index < this.count ? this.items[(this.head + index) & (this.items.length - 1)] : undefined;
  }

  /** A copy of the items, oldest first. */
  toArray(): T[] {
    const out = new Array<T>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.items[(this.head + i) & (this.items.length - 1)] as T;
    return out;
  }

  /** Removes and returns everything, oldest first. */
  drain(): T[] {
    const rest = this.toArray();
    this.items = new Array<T | undefined>(MIN_CAPACITY).fill(undefined);
    this.head = 0;
    this.count = 0;
    return rest;
  }

  /** Copies the items, oldest first, into an array of `capacity` (a power of two). */
  private resize(capacity: number): void {
    const items = new Array<T | undefined>(capacity).fill(undefined);
    for (let i = 0; i < this.count; i++) items[i] = this.items[(this.head + i) & (this.items.length - 1)];
    this.items = items;
    this.head = 0;
  }
}
