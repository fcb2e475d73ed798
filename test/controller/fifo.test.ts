import fc from 'fast-check';
import { Fifo } from '../../src/loop/fifo';

type Op = { push: number } | 'shift' | 'drain';

describe('Fifo', () => {
  it('behaves as an array pushed at the back and shifted from the front, through growing and shrinking (property)', () => {
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 6, arbitrary: fc.integer().map((push) => ({ push })) },
      { weight: 5, arbitrary: fc.constant('shift' as const) },
      { weight: 1, arbitrary: fc.constant('drain' as const) },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
        const fifo = new Fifo<number>();
        const model: number[] = [];
        for (const o of ops) {
          if (o === 'shift') expect(fifo.shift()).toBe(model.shift());
          else if (o === 'drain') expect(fifo.drain()).toEqual(model.splice(0));
          else {
            fifo.push(o.push);
            model.push(o.push);
          }
          expect(fifo.size).toBe(model.length);
        }
        expect(fifo.toArray()).toEqual(model);
        for (let i = -1; i <= model.length; i++) expect(fifo.at(i)).toBe(model[i]);
      }),
      { numRuns: 300 },
    );
  });

  it('a burst of 100,000 leaves memory when it is gone: the FIFO shrinks back', () => {
    const fifo = new Fifo<object>();
    for (let i = 0; i < 100_000; i++) fifo.push({ i });
    for (let i = 0; i < 100_000; i++) fifo.shift();
    fifo.push({ last: true });
    // Its backing array is private; what shows is that everything still works at the small size.
    expect(fifo.toArray()).toEqual([{ last: true }]);
    expect((fifo as unknown as { items: unknown[] }).items.length).toBeLessThanOrEqual(16);
  });
});
