/**
 * Message sizes of the protocol. gRPC's default 4 MiB message limit is kept on both sides: every
 * stream is cut into messages of about `DEFAULT_MAX_BATCH_BYTES`, and a single value bigger than
 * that travels alone. A value (key, type URL and bytes) can therefore never exceed
 * `MAX_VALUE_BYTES`: that leaves 1 MiB under the limit for the fields around it (a key state's
 * error and dependencies, framing). The client fails a bigger value alone, without sending it.
 */
export const DEFAULT_MAX_BATCH_BYTES = 1024 * 1024;
export const MAX_VALUE_BYTES = 3 * 1024 * 1024;

/** Rough per-item framing of a repeated message field (tags, lengths, Any's type URL framing). */
const ITEM_OVERHEAD_BYTES = 16;

/**
 * Splits items into batches whose estimated encoded size stays under `maxBytes` (a single
 * oversized item gets a batch of its own). Sizes are estimated rather than encoded twice: the
 * 100,000-value resync must stay fast.
 */
export function* batchesByBytes<T>(
  items: Iterable<T>,
  sizeOf: (item: T) => number,
  maxBytes: number = DEFAULT_MAX_BATCH_BYTES,
): Generator<T[]> {
  let batch: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item) + ITEM_OVERHEAD_BYTES;
    if (batch.length > 0 && bytes + size > maxBytes) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(item);
    bytes += size;
  }
  if (batch.length > 0) yield batch;
}

/**
 * Items that carry two values (a key state's desired and applied value, an operation's previous
 * and new value): one whose two values together exceed `maxBytes` is sent as two items, the
 * second marked as continuing the first, so that no message carries more than one big value.
 */
export function* splitPairs<T>(items: Iterable<T>, sizes: (item: T) => [number, number], maxBytes: number, split: (item: T) => [T, T]): Generator<T> {
  for (const item of items) {
    const [first, second] = sizes(item);
    if (first > 0 && second > 0 && first + second > maxBytes) yield* split(item);
    else yield item;
  }
}

/** Estimated encoded size of an optional Any (type URL + payload). */
export function anySize(value: { type_url: string; value: Uint8Array } | null | undefined): number {
  return value ? value.type_url.length + value.value.length : 0;
}
