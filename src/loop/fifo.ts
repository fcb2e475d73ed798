/** Items per chunk (a power of two): 2 KiB of slots, small enough for FIFOs that stay short. */
const CHUNK_BITS = 8;
const CHUNK_SIZE = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK_SIZE - 1;
/** Retired chunk slots at the front of the chunk list before it is compacted. */
const COMPACT_AFTER = 32;

type Chunk<T> = (T | undefined)[];

function newChunk<T>(): Chunk<T> {
  return new Array<T | undefined>(CHUNK_SIZE).fill(undefined);
}

/**
 * A FIFO of fixed-size chunks: push, shift and `at` are O(1), and nothing is ever copied. Shifting
 * from the front of a plain array is O(n); a FIFO that copied its live part out every few
 * thousand shifts handed the garbage collector a new array of every live item each time; a ring
 * that doubled and halved copied every item of a 200,000-event burst several times, each copy a
 * store of a young object into a large old array. Here a burst takes one chunk at a time, and each
 * chunk goes as soon as it is drained (one is kept for reuse), so a burst does not hold its
 * memory for good either.
 */
export class Fifo<T> {
  /** In order; the slots before `first` are retired chunks (undefined) awaiting compaction. */
  private chunks: (Chunk<T> | undefined)[] = [newChunk<T>()];
  private first = 0;
  /** Index of the oldest item in the first chunk. */
  private head = 0;
  private count = 0;
  private spare: Chunk<T> | undefined;

  get size(): number {
    return this.count;
  }

  push(item: T): void {
    const position = this.head + this.count;
    const index = this.first + (position >> CHUNK_BITS);
    if (index === this.chunks.length) {
      this.chunks.push(this.spare ?? newChunk<T>());
      this.spare = undefined;
    }
    (this.chunks[index] as Chunk<T>)[position & CHUNK_MASK] = item;
    this.count++;
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const chunk = this.chunks[this.first] as Chunk<T>;
    const item = chunk[this.head];
    chunk[this.head] = undefined;
    this.count--;
    if (this.count === 0) {
      // Empty: start over at the front of the current chunk, so that a FIFO that stays short
      // never walks into new chunks; later chunks (all empty) go.
      this.head = 0;
      if (this.chunks.length > this.first + 1) this.chunks.length = this.first + 1;
    } else if (++this.head === CHUNK_SIZE) {
      this.retireFirst();
    }
    return item;
  }

  /** The item `index` places after the oldest (0 = the oldest). */
  at(index: number): T | undefined {
    if (index < 0 || index >= this.count) return undefined;
    const position = this.head + index;
    return (this.chunks[this.first + (position >> CHUNK_BITS)] as Chunk<T>)[position & CHUNK_MASK];
  }

  /** A copy of the items, oldest first. */
  toArray(): T[] {
    const out = new Array<T>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.at(i) as T;
    return out;
  }

  /** Removes and returns everything, oldest first. */
  drain(): T[] {
    const rest = this.toArray();
    this.chunks = [newChunk<T>()];
    this.first = 0;
    this.head = 0;
    this.count = 0;
    this.spare = undefined;
    return rest;
  }

  /** The first chunk is drained: it goes (kept as the spare), and the list is compacted now and then. */
  private retireFirst(): void {
    this.spare = this.chunks[this.first];
    this.chunks[this.first] = undefined;
    this.first++;
    this.head = 0;
    if (this.first >= COMPACT_AFTER && this.first * 2 >= this.chunks.length) {
      this.chunks = this.chunks.slice(this.first);
      this.first = 0;
    }
  }
}
