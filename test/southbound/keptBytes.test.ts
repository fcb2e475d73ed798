import fc from 'fast-check';
import { KeptBytes } from '../../src/southbound/grpc/keptBytes';

const SLAB = 64 * 1024;

describe('KeptBytes: room for bytes a history keeps', () => {
  it('copies a small buffer out of Node\'s shared pool into a slab of its own', () => {
    const kept = new KeptBytes();
    // Buffer.from of a short string is a view into Node's 8 KiB pool, as grpc-js' messages are.
    const pooled = Buffer.from('a short message');
    const copy = kept.keep(pooled);
    expect(copy.equals(pooled)).toBe(true);
    expect(copy.buffer).not.toBe(pooled.buffer);
    expect(copy.buffer.byteLength).toBe(SLAB);
    pooled.fill(0);
    expect(copy.toString()).toBe('a short message');
  });

  it('puts small pieces next to each other until a slab is full, then starts another', () => {
    const kept = new KeptBytes();
    const first = kept.alloc(1000);
    const second = kept.alloc(1000);
    expect(second.buffer).toBe(first.buffer);
    expect(second.byteOffset).toBe(first.byteOffset + 1000);
    const pieces = Array.from({ length: 70 }, () => kept.alloc(1000));
    const slabs = new Set([first, second, ...pieces].map((piece) => piece.buffer));
    expect(slabs.size).toBe(2);
    // A piece never straddles two slabs.
    for (const piece of pieces) expect(piece.byteOffset + piece.length).toBeLessThanOrEqual(SLAB);
  });

  it('keeps a large buffer that has its memory to itself as it is, and copies a large view of a bigger one', () => {
    const kept = new KeptBytes();
    const own = Buffer.allocUnsafeSlow(20_000).fill(7);
    expect(kept.keep(own)).toBe(own);
    const big = Buffer.alloc(1024 * 1024, 9);
    const view = big.subarray(100, 20_100);
    const copy = kept.keep(view);
    expect(copy.buffer).not.toBe(big.buffer);
    expect(copy.buffer.byteLength).toBe(20_000);
    expect(copy.equals(view)).toBe(true);
  });

  it('gives back every piece as it was when kept, whatever the sizes and views (property)', () => {
    const piece = fc.record({ size: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 40_000 })), offset: fc.integer({ min: 0, max: 2_000 }), seed: fc.integer({ min: 0, max: 255 }) });
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (pieces) => {
        const kept = new KeptBytes();
        const sources = pieces.map(({ size, offset, seed }) => {
          const whole = Buffer.allocUnsafe(offset + size);
          for (let i = 0; i < whole.length; i++) whole[i] = (seed + i * 31) & 255;
          return whole.subarray(offset);
        });
        const expected = sources.map((source) => Buffer.from(source));
        const copies = kept.keepAll(sources);
        expect(copies).toHaveLength(sources.length);
        // Small pieces are always copies: they are the ones that pin a shared pool slab.
        sources.forEach((source, i) => {
          if (source.length < 8 * 1024) expect(copies[i].buffer).not.toBe(source.buffer);
        });
        // Whatever is written to the sources now shows only in pieces kept as they were.
        sources.forEach((source, i) => {
          if (copies[i] !== source) source.fill(0);
        });
        copies.forEach((copy, i) => expect(copy.equals(expected[i])).toBe(true));
      }),
      { numRuns: 200 },
    );
  });
});
