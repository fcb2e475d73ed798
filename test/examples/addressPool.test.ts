import fc from 'fast-check';
import { AddressPool } from '../../examples/network/addressPool';
import { InvalidNetworkOptionsError } from '../../examples/network/errors';
import { formatIpv4, parseIpv4 } from '../../examples/network/ipv4';

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

describe('parseIpv4', () => {
  it('reads four decimal octets and refuses anything else, like the pattern it replaces (property)', () => {
    const byPattern = (text: string): number | undefined => {
      const parts = text.split('.');
      if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
      return parts.reduce((acc, p) => ((acc << 8) | Number(p)) >>> 0, 0);
    };
    const parsed = (text: string): number | undefined => {
      try {
        return parseIpv4(text);
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidNetworkOptionsError);
        return undefined;
      }
    };
    const octet = fc.oneof(fc.integer({ min: 0, max: 300 }).map(String), fc.stringMatching(/^[0-9.a]{0,4}$/));
    const text = fc.oneof(fc.array(octet, { minLength: 1, maxLength: 6 }).map((parts) => parts.join('.')), fc.string({ maxLength: 16 }));
    fc.assert(fc.property(text, (t) => expect(parsed(t)).toBe(byPattern(t))), { numRuns: 2000 });
    expect(formatIpv4(parseIpv4('10.4.0.255'))).toBe('10.4.0.255');
  });
});
