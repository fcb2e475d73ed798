import fc from 'fast-check';
import { Fifo } from '../../src/loop/fifo';

type Op = { push: number } | 'shift' | 'drain' | { pushMany: number } | { shiftMany: number };

/** The chunk list keeps at most this many slots once a burst is gone (32 retired before compaction, and the live one). */
const COMPACTED_LIST = 64;

describe('Fifo', () => {
  it('behaves as an array pushed at the back and shifted from the front, across chunks (property)', () => {
    // Runs of pushes and shifts longer than a chunk (256 items) cross chunk boundaries both ways.
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 6, arbitrary: fc.integer().map((push) => ({ push })) },
      { weight: 5, arbitrary: fc.constant('shift' as const) },
      { weight: 1, arbitrary: fc.constant('drain' as const) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 700 }).map((pushMany) => ({ pushMany })) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 700 }).map((shiftMany) => ({ shiftMany })) },
    );
    let next = 0;
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
        const fifo = new Fifo<number>();
        const model: number[] = [];
        for (const o of ops) {
          if (o === 'shift') expect(fifo.shift()).toBe(model.shift());
          else if (o === 'drain') expect(fifo.drain()).toEqual(model.splice(0));
          else if ('pushMany' in o) {
            for (let i = 0; i < o.pushMany; i++) {
              fifo.push(next);
              model.push(next++);
            }
          } else if ('shiftMany' in o) {
            for (let i = 0; i < o.shiftMany; i++) expect(fifo.shift()).toBe(model.shift());
          } else {
            fifo.push(o.push);
            model.push(o.push);
          }
          expect(fifo.size).toBe(model.length);
        }
        expect(fifo.toArray()).toEqual(model);
        for (let i = -1; i <= model.length; i++) expect(fifo.at(i)).toBe(model[i]);
      }),
      { numRuns: 200 },
    );
  });

  it('a burst of 100,000 leaves memory as it drains, chunk by chunk, without copying its items', () => {
    const fifo = new Fifo<object>();
    const chunksHeld = (): number => (fifo as unknown as { chunks: unknown[] }).chunks.filter((chunk) => chunk !== undefined).length;
    for (let i = 0; i < 100_000; i++) fifo.push({ i });
    const atPeak = chunksHeld();
    expect(atPeak).toBe(Math.ceil(100_000 / 256));
    for (let i = 0; i < 50_000; i++) fifo.shift();
    expect(chunksHeld()).toBeLessThanOrEqual(Math.ceil(50_000 / 256) + 1);
    expect(fifo.at(0)).toEqual({ i: 50_000 });
    for (let i = 0; i < 50_000; i++) fifo.shift();
    fifo.push({ last: true });
    // Its chunks are private; what shows is that everything still works at the small size.
    expect(fifo.toArray()).toEqual([{ last: true }]);
    expect(chunksHeld()).toBe(1);
    // The list of chunks itself is compacted too.
    expect((fifo as unknown as { chunks: unknown[] }).chunks.length).toBeLessThanOrEqual(COMPACTED_LIST);
  });
});
