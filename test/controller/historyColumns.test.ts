import fc from 'fast-check';
import { EventMethodType } from '../../src/api/enums';
import { KubeStateChange } from '../../src/api/events/kubeStateChange';
import type { RecordedTransaction } from '../../src/api/southbound';
import { HistoryRecord } from '../../src/loop/eventRecord';
import { EventHistory } from '../../src/loop/eventHistory';
import { HistoryColumns } from '../../src/loop/historyColumns';

/** A record with everything a record can hold: calls past the inline ones, a failed call, a revert, a follow-up, a transaction. */
function fullRecord(seqNum: number, calls: number): HistoryRecord {
  const event = new KubeStateChange({ key: `pod-${seqNum}`, resource: 'pod' });
  const record = new HistoryRecord(event, seqNum, event.getName(), EventMethodType.Update, 1000 + seqNum, seqNum % 2 === 0 ? seqNum - 1 : undefined);
  for (let i = 0; i < calls; i++) {
    if (i === 1) record.addHandlerRecord({ handler: `h${i}`, revert: false, error: 'boom' });
    else record.addCall(`h${i}`, i % 3 === 0 ? undefined : `line ${i} of #${seqNum}`);
  }
  if (calls > 0) record.addHandlerRecord({ handler: 'h0', revert: true });
  record.processingEnd = 2000 + seqNum;
  record.txnError = `error of #${seqNum}`;
  record.txn = { seqNum: BigInt(seqNum), txnType: 'nb', description: 'd', start: 1, stop: 2, values: [], executed: [] } satisfies RecordedTransaction;
  record.batch = { first: seqNum, size: 2 };
  record.seal();
  return record;
}

describe('the event history in columns', () => {
  it('gives back every record as it was appended: calls inline and past them, errors, reverts, follow-ups, transaction, batch', () => {
    const history = new EventHistory({ enabled: true, ageLimitMs: 1e12, permanentlyRecordedInitPeriodMs: 0, maxRecords: 100, startTime: 0 });
    const records = [0, 1, 2, 3, 4, 7].map((calls, i) => fullRecord(i + 1, calls));
    for (const record of records) history.append(record);
    const read = history.query();
    expect(read.map((r) => (r as HistoryRecord).toJSON())).toEqual(records.map((r) => r.toJSON()));
    expect(read[5].handlers).toHaveLength(8);
    expect(read[3].description).toBe(records[3].description);
    expect(history.query({ seqNum: 4 }).map((r) => r.seqNum)).toEqual([4]);
    expect(history.query({ from: 2, to: 3 }).map((r) => r.seqNum)).toEqual([2, 3]);
    // since/until are Unix seconds: everything here ends within the third second.
    expect(history.query({ since: 2, until: 2 })).toHaveLength(6);
    expect(history.query({ since: 3 })).toHaveLength(0);
  });

  it('renders a description once, for its first reader, and keeps it for the next ones', () => {
    let renderings = 0;
    class CountedEvent extends KubeStateChange {
      override toString(): string {
        renderings++;
        return 'counted';
      }
    }
    const history = new EventHistory({ enabled: true, ageLimitMs: 1e12, permanentlyRecordedInitPeriodMs: 0, maxRecords: 100, startTime: 0 });
    for (let seqNum = 1; seqNum <= 20; seqNum++) history.append(new HistoryRecord(new CountedEvent({ key: 'k', resource: 'pod' }), seqNum, 'Counted', EventMethodType.Update, seqNum, undefined));
    expect(renderings).toBe(0);
    expect(history.query({ seqNum: 7 })[0].description).toBe('counted');
    expect(history.query({ seqNum: 7 })[0].description).toBe('counted');
    expect(history.query().map((r) => r.description)).toHaveLength(20);
    expect(renderings).toBe(20);
  });

  // Chunks of 4 records: the walk crosses chunk ends, retires and reuses chunks, and compacts the
  // chunk list; the default chunks (256 records) as the history uses them.
  it.each([
    ['chunks of 4 records', 2],
    ['the default chunks', undefined],
  ])('behaves as a FIFO of records through growing and shrinking (property; %s)', (_label, chunkBits) => {
    fc.assert(
      fc.property(fc.array(fc.oneof({ weight: 3, arbitrary: fc.constant('push' as const) }, { weight: 2, arbitrary: fc.constant('shift' as const) }), { maxLength: 300 }), (ops) => {
        const columns = new HistoryColumns(chunkBits);
        const model: number[] = [];
        let next = 1;
        for (const op of ops) {
          if (op === 'push') {
            columns.push(fullRecord(next, next % 5));
            model.push(next++);
          } else {
            columns.shift();
            model.shift();
          }
          expect(columns.size).toBe(model.length);
        }
        for (let i = 0; i < model.length; i++) {
          expect(columns.seqNumAt(i)).toBe(model[i]);
          expect(columns.at(i)?.toJSON()).toEqual(fullRecord(model[i], model[i] % 5).toJSON());
        }
        expect(columns.at(model.length)).toBeUndefined();
      }),
      { numRuns: 100 },
    );
  });

  it('keeps a rendered description in the right slot whichever chunk holds the record', () => {
    let renderings = 0;
    class CountedEvent extends KubeStateChange {
      override toString(): string {
        renderings++;
        return `counted ${this.key}`;
      }
    }
    const columns = new HistoryColumns(2);
    for (let seqNum = 1; seqNum <= 23; seqNum++) {
      columns.push(new HistoryRecord(new CountedEvent({ key: `k${seqNum}`, resource: 'pod' }), seqNum, 'Counted', EventMethodType.Update, seqNum, undefined));
    }
    // The oldest go: the records now start in the middle of a chunk.
    for (let i = 0; i < 6; i++) columns.shift();
    const read = (): string[] => Array.from({ length: columns.size }, (_, i) => columns.at(i)?.description ?? '');
    const expected = Array.from({ length: 17 }, (_, i) => `counted k${i + 7}`);
    expect(read()).toEqual(expected);
    expect(read()).toEqual(expected);
    expect(renderings).toBe(17);
  });

  it('holds no chunk beyond what its records need once they are gone', () => {
    const columns = new HistoryColumns(2);
    for (let seqNum = 1; seqNum <= 1000; seqNum++) columns.push(fullRecord(seqNum, 1));
    for (let i = 0; i < 1000; i++) columns.shift();
    expect(columns.size).toBe(0);
    // None of the 250 chunks is held but the one spare kept for the next record.
    expect((columns as unknown as { chunks: { size: number } }).chunks.size).toBe(0);
    columns.push(fullRecord(1001, 2));
    expect(columns.at(0)?.toJSON()).toEqual(fullRecord(1001, 2).toJSON());
  });
});
