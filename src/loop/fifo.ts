/** An array-backed FIFO with O(1) amortised shift; a plain array's shift() is O(n). */
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** The item `index` places after the oldest (0 = the oldest). */
  at(index: number): T | undefined {
    return index >= 0 && index < this.size ? this.items[this.head + index] : undefined;
  }

  /** A copy of the items, oldest first. */
  toArray(): T[] {
    return this.items.slice(this.head) as T[];
  }

  /** Removes and returns everything, oldest first. */
  drain(): T[] {
    const rest = this.items.slice(this.head) as T[];
    this.items = [];
    this.head = 0;
    return rest;
  }
}
