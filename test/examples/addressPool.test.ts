import fc from 'fast-check';
import { AddressPool } from '../../examples/network/addressPool';

describe('AddressPool (the IPAM example\'s free addresses)', () => {
  test('hands out the lowest free address, a requested one when free, and reuses released ones lowest first', () => {
    const pool = new AddressPool(10, 15);
    expect([pool.take(), pool.take(), pool.take(13), pool.take()]).toEqual([10, 11, 13, 12]);
    expect(pool.take(11)).toBe(14); // 11 is taken: the lowest free instead
    pool.release(11);
    pool.release(10);
    expect([pool.take(), pool.take(), pool.take(), pool.take()]).toEqual([10, 11, 15, undefined]);
    expect(pool.take(99)).toBeUndefined(); // out of range and the range is full
    expect(pool.size).toBe(6);
  });

  test('agrees with a scan of the range for any sequence of takes and releases', () => {
    const operation = fc.oneof(fc.record({ take: fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }) }), fc.record({ release: fc.integer({ min: 0, max: 40 }) }));
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 200 }), (operations) => {
        const pool = new AddressPool(5, 30);
        const used = new Set<number>();
        for (const op of operations) {
          if ('release' in op) {
            pool.release(op.release);
            used.delete(op.release);
            continue;
          }
          const requested = op.take;
          let expected: number | undefined;
          if (requested !== undefined && requested >= 5 && requested <= 30 && !used.has(requested)) expected = requested;
          else for (let address = 5; address <= 30 && expected === undefined; address++) if (!used.has(address)) expected = address;
          expect(pool.take(requested)).toBe(expected);
          if (expected !== undefined) used.add(expected);
        }
      }),
    );
  });
});
