/** Longer lines are kept as they are: they seldom repeat, and hashing them costs more. */
const MAX_INTERNED_LENGTH = 256;
/** Distinct lines remembered before the table starts over. */
const DEFAULT_LIMIT = 8192;

/**
 * One copy of each change line that repeats. A handler returns a new string per call ("put 2
 * keys for pod-7"), and the event history keeps thousands of records; a string kept that long is
 * copied by the garbage collector from one young space to the other and then into the old
 * generation. Lines repeat (the same pods change again and again): a record keeps the copy seen
 * first, and the new string dies young. Bounded: when full, the table starts over.
 */
export class ChangeLines {
  private readonly seen = new Map<string, string>();

  constructor(private readonly limit: number = DEFAULT_LIMIT) {}

  intern(line: string): string {
    if (line.length > MAX_INTERNED_LENGTH) return line;
    const known = this.seen.get(line);
    if (known !== undefined) return known;
    if (this.seen.size >= this.limit) this.seen.clear();
    this.seen.set(line, line);
    return line;
  }
}
