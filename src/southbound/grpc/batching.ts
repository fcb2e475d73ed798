/** About 1 MiB per message: well under gRPC's default 4 MiB limit, whatever the overhead. */
export const DEFAULT_MAX_BATCH_BYTES = 1024 * 1024;

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

/** Estimated encoded size of an optional Any (type URL + payload). */
export function anySize(value: { type_url: string; value: Uint8Array } | null | undefined): number {
  return value ? value.type_url.length + value.value.length : 0;
}
