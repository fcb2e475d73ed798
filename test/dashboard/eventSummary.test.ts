import { eventDetail } from '../../src/agent/dashboard/eventDetail';
import { summarizeEvent } from '../../src/agent/dashboard/eventSummary';
import { EventMethodType } from '../../src/api/enums';
import type { EventRecord } from '../../src/api/history';
import type { RecordedOperation } from '../../src/api/southbound';

function record(fields: Partial<EventRecord>): EventRecord {
  return {
    seqNum: 7,
    processingStart: 1000,
    processingEnd: 1012,
    isFollowUp: false,
    name: 'Kubernetes State Change',
    description: 'Kubernetes State Change\n * resource: pod\n * key: k8s/pod/web-1/namespace/shop\n * prevValue: nil',
    method: EventMethodType.Update,
    handlers: [],
    ...fields,
  };
}

function operation(key: string, error?: string): RecordedOperation {
  return { key, operation: 'CREATE', prevState: 'NONEXISTENT', newState: error ? 'FAILED' : 'CONFIGURED', ...(error && { error }), isRevert: false, isRetry: false };
}

describe('the timeline row of an event', () => {
  test('an event whose handler was reverted is "reverted", whatever else failed', () => {
    const summary = summarizeEvent(
      record({
        handlers: [
          { handler: 'a', revert: false, change: 'x' },
          { handler: 'b', revert: false, error: 'refused' },
          { handler: 'a', revert: true },
        ],
      }),
    );
    expect(summary).toMatchObject({ result: 'reverted', error: 'refused' });
  });

  test('a failed transaction or handler is "error"; otherwise "ok"', () => {
    expect(summarizeEvent(record({ txnError: 'transaction failed: k (CREATE): boom' })).result).toBe('error');
    expect(summarizeEvent(record({ handlers: [{ handler: 'a', revert: false, error: 'timed out', timedOut: true }] })).result).toBe('error');
    expect(summarizeEvent(record({ handlers: [{ handler: 'a', revert: false, change: 'fine' }] })).result).toBe('ok');
  });

  test('follow-ups, healing resyncs and coalesced batches are tagged', () => {
    expect(summarizeEvent(record({ isFollowUp: true, followUpTo: 3 }))).toMatchObject({ tags: ['follow-up'], followUpTo: 3 });
    expect(summarizeEvent(record({ name: 'Healing Resync', description: 'Healing Resync (after error: boom)', method: EventMethodType.FullResync }))).toMatchObject({
      tags: ['healing'],
      subject: 'after error: boom',
    });
    expect(summarizeEvent(record({ batch: { first: 5, size: 3 } }))).toMatchObject({ tags: ['batch'], batch: { first: 5, size: 3 } });
  });

  test('the subject is the kube key of a state change, else what the description adds to the name', () => {
    expect(summarizeEvent(record({})).subject).toBe('k8s/pod/web-1/namespace/shop');
    expect(summarizeEvent(record({ name: 'Database Resync', description: 'Database Resync - empty dataset' })).subject).toBe('empty dataset');
    expect(summarizeEvent(record({ name: 'Pod MTU Change', description: 'Pod MTU Change\n * mtu: 9216' })).subject).toBe('mtu: 9216');
    expect(summarizeEvent(record({ name: 'Shutdown', description: 'Shutdown' })).subject).toBeUndefined();
    expect(summarizeEvent(record({ name: 'Custom', description: `Custom\n * ${'x'.repeat(500)}` })).subject?.length).toBe(160);
  });
});

describe('the drill-down of an event', () => {
  test('keeps the handlers in call order and the transaction, with 64-bit sequence numbers as strings', () => {
    const handlers = [
      { handler: 'pod-network', revert: false, change: 'mtu 9216' },
      { handler: 'service-nat', revert: false, error: 'refused' },
      { handler: 'pod-network', revert: true },
    ];
    const detail = eventDetail(
      record({
        handlers,
        txn: { seqNum: 2n ** 60n, txnType: 'nb', description: 'd', start: 1, stop: 2, values: [{ key: 'config/a', value: { mtu: 1 } }, { key: 'config/b' }], executed: [operation('config/a')] },
      }),
    );
    expect(detail.handlers).toEqual(handlers);
    expect(detail.method).toBe('Update');
    expect(detail.txn).toMatchObject({ seqNum: String(2n ** 60n), values: [{ key: 'config/a', value: '{"mtu":1}' }, { key: 'config/b' }], valuesTotal: 2, executedTotal: 1 });
  });

  test('is bounded: a resync of many values is cut, the totals say so, and failed operations are kept', () => {
    const values = Array.from({ length: 1000 }, (_, i) => ({ key: `config/v${i}`, value: { blob: 'y'.repeat(5000) } }));
    const executed = values.map((v, i) => operation(v.key, i === 900 ? 'boom' : undefined));
    const detail = eventDetail(record({ txn: { seqNum: 1n, txnType: 'nb', resyncType: 'full', description: 'd', start: 1, stop: 2, values, executed } }), {
      maxValues: 10,
      maxOperations: 10,
      maxValueChars: 100,
      maxDescriptionChars: 50,
      maxHandlers: 5,
    });
    expect(detail.txn?.values).toHaveLength(10);
    expect(detail.txn?.valuesTotal).toBe(1000);
    expect(detail.txn?.values[0]).toMatchObject({ truncated: true });
    expect(detail.txn?.values[0].value).toHaveLength(100);
    expect(detail.txn?.executed).toHaveLength(10);
    expect(detail.txn?.executedTotal).toBe(1000);
    expect(detail.txn?.executed.map((op) => op.key)).toContain('config/v900');
    expect(JSON.stringify(detail).length).toBeLessThan(10_000);
  });
});
