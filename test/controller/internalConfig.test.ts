import fc from 'fast-check';
import type { KeyValuePairs, ProtoMessage } from '../../src/api/types';
import { InternalConfig, SHARE_RESYNC_FROM_VALUES } from '../../src/loop/internalConfig';
import { value } from '../support/messages';

type Step = { resync: Array<[number, number | null]> } | { update: Array<[number, number | null]> };

const messages = new Map<number, ProtoMessage>();
const messageOf = (n: number): ProtoMessage => {
  let message = messages.get(n);
  if (!message) messages.set(n, (message = value({ name: `v${n}` })));
  return message;
};

/** Keys 0..(big) so that a resync is shared (at the threshold and over) or copied (below). */
function pairs(entries: Array<[number, number | null]>): KeyValuePairs {
  const map: KeyValuePairs = new Map();
  for (const [key, n] of entries) map.set(`k${key}`, n === null ? null : messageOf(n));
  return map;
}

function bigResync(size: number, nulls: number): Array<[number, number | null]> {
  return Array.from({ length: size }, (_, i) => [i, i < nulls ? null : i] as [number, number | null]);
}

describe('InternalConfig', () => {
  it('reads like a plain map replaced by each resync and updated by each update, shared or copied (property)', () => {
    const entry = fc.tuple(fc.integer({ min: 0, max: SHARE_RESYNC_FROM_VALUES + 50 }), fc.option(fc.integer({ min: 0, max: 5 }), { nil: null }));
    const step: fc.Arbitrary<Step> = fc.oneof(
      { weight: 1, arbitrary: fc.array(entry, { maxLength: 20 }).map((resync) => ({ resync })) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 30 }).map((nulls) => ({ resync: bigResync(SHARE_RESYNC_FROM_VALUES + 10, nulls) })) },
      { weight: 6, arbitrary: fc.array(entry, { minLength: 1, maxLength: 1500, size: 'max' }).map((update) => ({ update })) },
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 12 }), (steps) => {
        const config = new InternalConfig();
        let model = new Map<string, ProtoMessage>();
        const touched = new Set<string>();
        const resyncs: Array<{ map: KeyValuePairs; before: Array<[string, ProtoMessage | null]> }> = [];
        for (const s of steps) {
          if ('resync' in s) {
            const map = pairs(s.resync);
            resyncs.push({ map, before: [...map] });
            config.replace(map);
            model = new Map();
            for (const [key, v] of map) if (v) model.set(key, v);
            for (const key of map.keys()) touched.add(key);
          } else {
            const map = pairs(s.update);
            config.update(map);
            for (const [key, v] of map) {
              touched.add(key);
              if (v) model.set(key, v);
              else model.delete(key);
            }
          }
          const wrong = [...touched].filter((key) => config.get(key) !== model.get(key) || config.has(key) !== model.has(key));
          expect(wrong).toEqual([]);
        }
        // A resync's values are read in place, never written to.
        const unchanged = (map: KeyValuePairs, before: Array<[string, ProtoMessage | null]>): boolean =>
          map.size === before.length && before.every(([key, v]) => map.has(key) && map.get(key) === v);
        expect(resyncs.filter(({ map, before }) => !unchanged(map, before)).length).toBe(0);
      }),
      { numRuns: 30 },
    );
  });
});
