/**
 * The free addresses of a range, handed out lowest first, in O(log n) per take or release: a
 * high-water mark below which every address was handed out once, and a min-heap of the
 * addresses released since. Scanning the range and building a set of the used addresses for
 * every pod (what a first version did) makes a resync of n pods O(n²): 10,000 pods took 10 s.
 */
export class AddressPool {
  private readonly used = new Set<number>();
  /** Released addresses below `next`; an entry taken again since is skipped when it surfaces. */
  private readonly released: number[] = [];
  /** The lowest address never handed out (above it, every address is free unless taken by request). */
  private next: number;

  constructor(
    private readonly first: number,
    private readonly last: number,
  ) {
    this.next = first;
  }

  get size(): number {
    return this.used.size;
  }

  isFree(address: number): boolean {
    return address >= this.first && address <= this.last && !this.used.has(address);
  }

  /** `requested` when it is free, else the lowest free address; undefined when the range is full. */
  take(requested?: number): number | undefined {
    if (requested !== undefined && this.isFree(requested)) return this.mark(requested);
    while (this.released.length > 0 && this.used.has(this.released[0])) this.pop();
    while (this.next <= this.last && this.used.has(this.next)) this.next++;
    const fromHeap = this.released.length > 0 ? this.released[0] : undefined;
    if (fromHeap !== undefined && fromHeap < this.next) return this.mark(this.pop());
    if (this.next > this.last) return undefined;
    return this.mark(this.next++);
  }

  release(address: number): void {
    if (!this.used.delete(address)) return;
    if (address < this.next) this.push(address);
  }

  private mark(address: number): number {
    this.used.add(address);
    return address;
  }

  // A binary min-heap in an array: the children of i are 2i+1 and 2i+2.
  private push(address: number): void {
    const heap = this.released;
    heap.push(address);
    for (let i = heap.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (heap[parent] <= heap[i]) break;
      [heap[parent], heap[i]] = [heap[i], heap[parent]];
      i = parent;
    }
  }

  private pop(): number {
    const heap = this.released;
    const top = heap[0];
    const lastItem = heap.pop() as number;
    if (heap.length > 0) {
      heap[0] = lastItem;
      for (let i = 0; ; ) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < heap.length && heap[left] < heap[smallest]) smallest = left;
        if (right < heap.length && heap[right] < heap[smallest]) smallest = right;
        if (smallest === i) break;
        [heap[smallest], heap[i]] = [heap[i], heap[smallest]];
        i = smallest;
      }
    }
    return top;
  }
}
