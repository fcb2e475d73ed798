import fc from 'fast-check';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { KeyOperation } from '../../src/api/errors';
import type { ValueState } from '../../src/api/southbound';
import { packRecordedTxn, packedSeqNum, unpackRecordedTxn } from '../../src/southbound/agent/packedRecordedTxn';
import { TxnHistory } from '../../src/southbound/agent/txnHistory';
import { KeptBytes } from '../../src/southbound/grpc/keptBytes';
import type { SchedulerRecordedOperation, SchedulerRecordedTxn, SchedulerTxnValue, StoredValue } from '../../src/southbound/agent/types';

const states: ValueState[] = ['NONEXISTENT', 'MISSING', 'UNIMPLEMENTED', 'REMOVED', 'CONFIGURED', 'OBTAINED', 'DISCOVERED', 'PENDING', 'INVALID', 'FAILED', 'RETRYING'];
const operations: KeyOperation[] = ['CREATE', 'UPDATE', 'DELETE'];

// Strings of every kind the history holds: ASCII keys, and text with multi-byte characters.
const text = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }));
const storedValue: fc.Arbitrary<StoredValue> = fc.record({ type_url: text, value: fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)) });
const txnValue: fc.Arbitrary<SchedulerTxnValue> = fc.record({ key: text, value: fc.option(storedValue, { nil: null }), valueError: fc.option(text, { nil: undefined }) }, { requiredKeys: ['key', 'value'] });
const operation: fc.Arbitrary<SchedulerRecordedOperation> = fc.record({
  key: text,
  operation: fc.constantFrom(...operations),
  prevValue: fc.option(storedValue, { nil: undefined }),
  newValue: fc.option(storedValue, { nil: undefined }),
  prevState: fc.constantFrom(...states),
  newState: fc.constantFrom(...states),
  error: fc.option(text, { nil: undefined }),
  isRevert: fc.boolean(),
  isRetry: fc.boolean(),
  fromTxn: fc.boolean(),
});
const recordedTxn: fc.Arbitrary<SchedulerRecordedTxn> = fc.record({
  seqNum: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  txnType: fc.constantFrom('nb' as const, 'retry' as const),
  resyncType: fc.constantFrom(undefined, 'full' as const, 'upstream' as const, 'downstream' as const),
  description: text,
  start: fc.integer({ min: 0, max: 2 ** 48 }),
  stop: fc.integer({ min: 0, max: 2 ** 48 }),
  values: fc.array(txnValue, { maxLength: 8 }),
  executed: fc.array(operation, { maxLength: 8 }),
});

/** Values as plain bytes: a packed transaction gives Buffers back, whatever Uint8Array went in. */
function plain(txn: SchedulerRecordedTxn): unknown {
  return JSON.parse(JSON.stringify(txn, (_key, value: unknown) => (typeof value === 'bigint' ? `${value}n` : value instanceof Uint8Array ? [...value] : value)));
}

function txn(seqNum: bigint, key: string): SchedulerRecordedTxn {
  const value = { type_url: 'type.googleapis.com/test.V', value: Buffer.from(key) };
  return {
    seqNum,
    txnType: 'nb',
    description: `#${seqNum}`,
    start: 1,
    stop: 2,
    values: [{ key, value }],
    executed: [{ key, operation: 'CREATE', newValue: value, prevState: 'NONEXISTENT', newState: 'CONFIGURED', isRevert: false, isRetry: false, fromTxn: true }],
  };
}

describe('the recorded-transaction history, packed', () => {
  it('gives back every recorded transaction as it was recorded, packed next to others (property)', () => {
    fc.assert(
      fc.property(fc.array(recordedTxn, { minLength: 1, maxLength: 8 }), (recorded) => {
        // One room for all: a transaction written past its bytes would spoil the next one.
        const kept = new KeptBytes();
        const packed = recorded.map((txn) => packRecordedTxn(txn, kept));
        recorded.forEach((txn, i) => {
          expect(packedSeqNum(packed[i])).toBe(txn.seqNum);
          expect(plain(unpackRecordedTxn(packed[i]))).toEqual(plain(txn));
        });
      }),
      { numRuns: 150 },
    );
  });

  it('a value read back does not share the packed buffer (it would keep the whole transaction alive)', () => {
    const packed = packRecordedTxn(txn(7n, 'a'), new KeptBytes());
    const value = unpackRecordedTxn(packed).values[0]?.value?.value as Buffer;
    packed.fill(0);
    expect(value.toString()).toBe('a');
  });

  it('keeps the newest as recorded and the older ones packed; finds, lists and drops them in order', async () => {
    const history = new TxnHistory(100);
    const recorded = Array.from({ length: 150 }, (_, i) => txn(BigInt(1000 + i), `key-${i}`));
    for (const t of recorded) history.add(t);
    expect(history.size).toBe(100);
    // Packing waits for the next turn (the commit is answered first).
    await nextTurn();
    // The newest is the very object recorded (the session reads it back at once).
    expect(history.get(1149n)).toBe(recorded[149]);
    // An old one comes back equal, from its packed bytes.
    expect(history.get(1060n)).not.toBe(recorded[60]);
    expect(plain(history.get(1060n) as SchedulerRecordedTxn)).toEqual(plain(recorded[60] as SchedulerRecordedTxn));
    expect(history.get(1049n)).toBeUndefined();
    expect(history.get(2000n)).toBeUndefined();
    expect(history.all().map((t) => t.seqNum)).toEqual(recorded.slice(50).map((t) => t.seqNum));
    expect(() => history.add(txn(1149n, 'again'))).toThrow(RangeError);
  });

  it('keeps fewer transactions as recorded when they are big (the newest always), and finds every one', async () => {
    const history = new TxnHistory(100);
    const big = (seqNum: bigint): SchedulerRecordedTxn => {
      const one = txn(seqNum, `key-${seqNum}`);
      return { ...one, values: Array.from({ length: 1500 }, () => one.values[0]), executed: Array.from({ length: 1500 }, () => one.executed[0]) };
    };
    const recorded = Array.from({ length: 5 }, (_, i) => big(BigInt(i + 1)));
    for (const t of recorded) history.add(t);
    await nextTurn();
    // 3,000 values and operations each: the newest alone is kept as recorded (a budget of 4,096).
    expect(history.get(5n)).toBe(recorded[4]);
    for (const t of recorded.slice(0, 4)) {
      expect(history.get(t.seqNum)).not.toBe(t);
      expect(plain(history.get(t.seqNum) as SchedulerRecordedTxn)).toEqual(plain(t));
    }
    // Small ones after it stay as recorded next to it, up to the 32 newest.
    const small = Array.from({ length: 40 }, (_, i) => txn(BigInt(10 + i), `small-${i}`));
    for (const t of small.slice(0, 10)) history.add(t);
    await nextTurn();
    expect(history.get(5n)).toBe(recorded[4]);
    for (const t of small.slice(10)) history.add(t);
    await nextTurn();
    expect(history.get(5n)).not.toBe(recorded[4]);
    for (const t of small.slice(8)) expect(history.get(t.seqNum)).toBe(t);
    expect(history.all().map((t) => t.seqNum)).toEqual([...recorded, ...small].map((t) => t.seqNum));
  });

  it('packs in the turn after recording, not before the commit is answered; a synchronous flood stays bounded', async () => {
    const history = new TxnHistory(10_000);
    const recorded = Array.from({ length: 40 }, (_, i) => txn(BigInt(i + 1), `key-${i}`));
    for (const t of recorded) history.add(t);
    // Over the budget of 32, but nothing packed yet: the commit that recorded #40 is answered first.
    for (const t of recorded) expect(history.get(t.seqNum)).toBe(t);
    await nextTurn();
    for (const t of recorded.slice(0, 8)) expect(history.get(t.seqNum)).not.toBe(t);
    for (const t of recorded.slice(8)) expect(history.get(t.seqNum)).toBe(t);
    // Thousands within one turn (a synchronous caller): packed as they come, beyond four times the budget.
    const flood = Array.from({ length: 5000 }, (_, i) => txn(BigInt(100 + i), `flood-${i}`));
    for (const t of flood) history.add(t);
    const keptAsRecorded = flood.filter((t) => history.get(t.seqNum) === t).length;
    expect(keptAsRecorded).toBeLessThanOrEqual(4 * 32);
    expect(history.all().map((t) => t.seqNum)).toEqual([...recorded, ...flood].map((t) => t.seqNum));
    history.close();
  });

  it('with room for fewer than it keeps as recorded, it is still bounded', () => {
    const history = new TxnHistory(3);
    for (let i = 1; i <= 10; i++) history.add(txn(BigInt(i), 'a'));
    expect(history.all().map((t) => t.seqNum)).toEqual([8n, 9n, 10n]);
  });
});
