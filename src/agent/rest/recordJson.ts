import type { EventRecord } from '../../api/history';
import { stringifyJson } from './json';

/**
 * The JSON of each history record, made once and kept as bytes (outside the JS heap, so the
 * garbage collector does not go through it): a record does not change once it is in the
 * history, and the same records are read again and again (dashboards, `contivctl history`,
 * several clients at once). Keyed weakly by the record, so the cache is exactly as big as the
 * history (records trimmed from it drop their JSON with them).
 */
const cache = new WeakMap<EventRecord, Buffer>();

export function recordJson(record: EventRecord): Buffer {
  let json = cache.get(record);
  if (json === undefined) {
    json = Buffer.from(stringifyJson(record));
    cache.set(record, json);
  }
  return json;
}
