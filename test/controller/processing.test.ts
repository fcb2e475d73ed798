import {
  AbortEventError,
  DBResync,
  EventMethodType,
  FatalError,
  HealingResync,
  HealingResyncType,
  KubeStateChange,
  UpdateDirectionType,
  UpdateTransactionType,
  type CommitRequest,
  type Controller,
  type EventHandler,
  type Southbound,
} from '../../src';
import { HistoryRecord } from '../../src/loop/eventRecord';
import { pod, value } from '../support/messages';
import { waitFor } from '../support/waitFor';
import {
  memoryFixture,
  names,
  recordingHandler,
  SOUTHBOUND_FIXTURES,
  startController,
  TestResync,
  TestUpdate,
  waitForHistory,
  type SouthboundFixture,
} from '../support/harness';

const kube = (...pods: string[]) => new Map([['pod', new Map(pods.map((p) => [`pod/${p}`, pod(p)]))]]);

describe.each(SOUTHBOUND_FIXTURES)('processing one event (%s southbound)', (_kind, makeFixture) => {
  let fixture: SouthboundFixture;
  let controller: Controller | undefined;
  let calls: string[];

  beforeEach(async () => {
    fixture = await makeFixture();
    calls = [];
  });
  afterEach(async () => {
    await controller?.close();
    controller = undefined;
    await fixture.close();
  });

  async function start(handlers: EventHandler[], config = {}): Promise<Controller> {
    controller = await startController({ handlers, southbound: fixture.southbound, config: { delayAfterErrorHealing: 60000, ...config } });
    controller.pushEvent(new DBResync({ kubeState: kube() }));
    await waitForHistory(controller, 1);
    calls.length = 0;
    return controller;
  }

  const three = () => ['a', 'b', 'c'].map((name) => recordingHandler(name, calls));

  test('forward updates run the handlers in registration order', async () => {
    const c = await start(three());
    const ev = new TestUpdate('Fwd');
    c.pushEvent(ev);
    await ev.wait();
    expect(calls).toEqual(['a.update(Fwd)', 'b.update(Fwd)', 'c.update(Fwd)']);
  });

  test('reverse updates, such as a KubeStateChange that deletes, run the handlers backwards', async () => {
    const c = await start(three());
    c.pushEvent(new KubeStateChange({ key: 'pod/x', resource: 'pod', prevValue: pod('x') }));
    await waitForHistory(c, 2);
    expect(calls).toEqual(['c.update(Kubernetes State Change)', 'b.update(Kubernetes State Change)', 'a.update(Kubernetes State Change)']);
  });

  test('full and upstream resyncs run the handlers in registration order; a downstream resync runs none', async () => {
    const c = await start(three());
    c.pushEvent(new TestResync(EventMethodType.UpstreamResync, 'Up'));
    c.pushEvent(new TestResync(EventMethodType.FullResync, 'Full'));
    const down = new TestResync(EventMethodType.DownstreamResync, 'Down');
    c.pushEvent(down);
    await down.wait();
    expect(calls).toEqual(['a.resync(Up)', 'b.resync(Up)', 'c.resync(Up)', 'a.resync(Full)', 'b.resync(Full)', 'c.resync(Full)']);
    const downRecord = c.eventHistory().find((r) => r.name === 'Down');
    expect(downRecord?.handlers).toEqual([]);
    expect(downRecord?.txn?.resyncType).toBe('downstream');
  });

  test('resyncs count from 1 at startup and pass the kube state to the handlers', async () => {
    const seen: [number, string[]][] = [];
    const handler = recordingHandler('h', calls, {
      resync: (_ev, kubeState, count) => {
        seen.push([count, [...(kubeState.get('pod')?.keys() ?? [])]]);
      },
    });
    controller = await startController({ handlers: [handler], southbound: fixture.southbound });
    controller.pushEvent(new DBResync({ kubeState: kube('p1') }));
    controller.pushEvent(new KubeStateChange({ key: 'pod/p2', resource: 'pod', newValue: pod('p2') }));
    const up = new TestResync(EventMethodType.UpstreamResync);
    controller.pushEvent(up);
    await up.wait();
    expect(seen).toEqual([
      [1, ['pod/p1']],
      [2, ['pod/p1', 'pod/p2']],
    ]);
  });

  test('only handlers whose handlesEvent is true are called and listed', async () => {
    const c = await start([
      recordingHandler('a', calls),
      recordingHandler('b', calls, { handles: async (ev) => ev.getName() !== 'Skip-b' }),
    ]);
    const ev = new TestUpdate('Skip-b');
    c.pushEvent(ev);
    await ev.wait();
    expect(calls).toEqual(['a.update(Skip-b)']);
    expect(c.eventHistory({ last: 1 })[0].handlers.map((h) => h.handler)).toEqual(['a']);
  });

  test('a best-effort update continues after a handler error, commits what it has, and needs healing', async () => {
    const c = await start(
      [
        recordingHandler('a', calls, { update: (_e, txn) => txn.put('k/a', value({ name: 'a' })) }),
        recordingHandler('b', calls, { update: () => Promise.reject(new Error('b broke')) }),
        recordingHandler('c', calls, { update: (_e, txn) => txn.put('k/c', value({ name: 'c' })) }),
      ],
      { delayAfterErrorHealing: 1 },
    );
    const ev = new TestUpdate('BE');
    c.pushEvent(ev);
    await expect(ev.wait()).rejects.toThrow('b broke');
    expect(calls.slice(0, 3)).toEqual(['a.update(BE)', 'b.update(BE)', 'c.update(BE)']);
    expect(await fixture.applied()).toMatchObject({ 'k/a': { name: 'a' }, 'k/c': { name: 'c' } });
    await waitFor(() => names(c).includes('Healing Resync'), 'healing resync');
    const healing = c.eventHistory().find((r) => r.name === 'Healing Resync');
    expect(healing?.method).toBe(EventMethodType.FullResync);
  });

  test('BestEffortIgnoreErrors continues after an error without healing', async () => {
    const c = await start([recordingHandler('a', calls, { update: () => { throw new Error('ignored'); } }), recordingHandler('b', calls)], {
      delayAfterErrorHealing: 1,
    });
    const ev = new TestUpdate('Ign', UpdateTransactionType.BestEffortIgnoreErrors);
    c.pushEvent(ev);
    await expect(ev.wait()).rejects.toThrow('ignored');
    expect(calls).toEqual(['a.update(Ign)', 'b.update(Ign)']);
    expect(c.actor.getSnapshot().matches({ running: { healing: 'clear' } })).toBe(true);
  });

  test('RevertOnFailure stops at the first error, commits nothing and reverts the earlier handlers in reverse', async () => {
    const c = await start([
      recordingHandler('a', calls, { update: (_e, txn) => txn.put('k/a', value({ name: 'a' })) }),
      recordingHandler('b', calls, { update: (_e, txn) => txn.put('k/b', value({ name: 'b' })) }),
      recordingHandler('c', calls, { update: () => { throw new Error('c failed'); } }),
      recordingHandler('d', calls),
    ]);
    const ev = new TestUpdate('Rev', UpdateTransactionType.RevertOnFailure);
    c.pushEvent(ev);
    await expect(ev.wait()).rejects.toThrow('c failed');
    expect(calls).toEqual(['a.update(Rev)', 'b.update(Rev)', 'c.update(Rev)', 'b.revert(Rev)', 'a.revert(Rev)']);
    expect(await fixture.applied()).toEqual({});
    const record = c.eventHistory({ last: 1 })[0];
    expect(record.handlers.filter((h) => h.revert).map((h) => h.handler)).toEqual(['b', 'a']);
    expect(c.getConfig('k/a')).toBeUndefined();
    expect(c.actor.getSnapshot().matches({ running: { healing: 'clear' } })).toBe(true);
  });

  test('RevertOnFailure reverts every handler, in reverse, when the commit fails; internal config is untouched', async () => {
    const c = await start([
      recordingHandler('a', calls, { update: (_e, txn) => txn.put('k/a', value({ name: 'a' })) }),
      recordingHandler('b', calls, { update: (_e, txn) => txn.put('k/b', value({ name: 'b' })) }),
    ]);
    await fixture.failKeys('k/b', 1, 'dataplane said no');
    const ev = new TestUpdate('RevCommit', UpdateTransactionType.RevertOnFailure);
    c.pushEvent(ev);
    await expect(ev.wait()).rejects.toThrow('dataplane said no');
    expect(calls).toEqual(['a.update(RevCommit)', 'b.update(RevCommit)', 'b.revert(RevCommit)', 'a.revert(RevCommit)']);
    expect(c.eventHistory({ last: 1 })[0].txnError).toContain('dataplane said no');
    expect(await fixture.applied()).toEqual({});
    expect(c.getConfig('k/a')).toBeUndefined();
  });

  test('AbortEventError stops a best-effort event before the commit and schedules healing', async () => {
    const c = await start(
      [
        recordingHandler('a', calls, { update: (_e, txn) => txn.put('k/a', value({ name: 'a' })) }),
        recordingHandler('b', calls, { update: () => { throw new AbortEventError(new Error('stop here')); } }),
        recordingHandler('c', calls),
      ],
      { delayAfterErrorHealing: 1 },
    );
    const ev = new TestUpdate('Abort');
    c.pushEvent(ev);
    const error = await ev.wait().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortEventError);
    expect((error as AbortEventError).getOriginalError().message).toBe('stop here');
    expect(calls.slice(0, 2)).toEqual(['a.update(Abort)', 'b.update(Abort)']);
    expect(await fixture.applied()).not.toHaveProperty('k/a');
    await waitFor(() => names(c).includes('Healing Resync'), 'healing after abort');
  });

  test('AbortEventError in a RevertOnFailure event reverts the handlers before it', async () => {
    const c = await start([
      recordingHandler('a', calls),
      recordingHandler('b', calls, { update: () => { throw new AbortEventError('abort'); } }),
    ]);
    const ev = new TestUpdate('AbortRev', UpdateTransactionType.RevertOnFailure);
    c.pushEvent(ev);
    await expect(ev.wait()).rejects.toBeInstanceOf(AbortEventError);
    expect(calls).toEqual(['a.update(AbortRev)', 'b.update(AbortRev)', 'a.revert(AbortRev)']);
  });

  test('FatalError stops the loop: no commit, health not live, later events finished with the fatal error', async () => {
    const c = await start([
      recordingHandler('a', calls, { update: (_e, txn) => txn.put('k/a', value({ name: 'a' })) }),
      recordingHandler('b', calls, { update: () => { throw new FatalError(new Error('dataplane gone')); } }),
      recordingHandler('c', calls),
    ]);
    const ev = new TestUpdate('Fatal', UpdateTransactionType.RevertOnFailure);
    c.pushEvent(ev);
    await expect(ev.wait()).rejects.toBeInstanceOf(FatalError);
    expect(calls).toEqual(['a.update(Fatal)', 'b.update(Fatal)']);
    expect(c.health()).toEqual({ state: 'fatal', ready: false, live: false, southboundAvailable: true, error: 'dataplane gone' });
    const later = new TestUpdate('Later');
    c.pushEvent(later);
    await expect(later.wait()).rejects.toThrow('dataplane gone');
    expect(names(c)).not.toContain('Later');
    expect(await fixture.applied()).toEqual({});
  });

  test('an empty update transaction is not committed; a resync always is', async () => {
    const c = await start([recordingHandler('a', calls)]);
    const ev = new TestUpdate('Empty');
    c.pushEvent(ev);
    await ev.wait();
    expect(c.eventHistory({ last: 1 })[0].txn).toBeUndefined();
    const up = new TestResync(EventMethodType.UpstreamResync, 'EmptyResync');
    c.pushEvent(up);
    await up.wait();
    expect(c.eventHistory({ last: 1 })[0].txn?.resyncType).toBe('upstream');
  });

  test('the internal config follows updates and is replaced by a resync; getConfig sees the transaction first', async () => {
    let seenDuring: unknown;
    const c = await start([
      recordingHandler('a', calls, {
        update: (ev, txn) => {
          if (ev.getName() === 'Put') txn.put('k/1', value({ name: 'one' }));
          if (ev.getName() === 'Del') txn.delete('k/1');
        },
        resync: (_ev, _ks, _n, txn) => txn.put('k/r', value({ name: 'r' })),
      }),
      recordingHandler('b', calls, {
        update: (ev) => {
          if (ev.getName() === 'Put') seenDuring = controller?.getConfig('k/1');
        },
      }),
    ]);
    const put = new TestUpdate('Put');
    c.pushEvent(put);
    await put.wait();
    expect(seenDuring).toMatchObject({ name: 'one' });
    expect(c.getConfig('k/1')).toMatchObject({ name: 'one' });
    const copy = c.getConfig('k/1') as unknown as { name: string };
    copy.name = 'mutated';
    expect(c.getConfig('k/1')).toMatchObject({ name: 'one' });
    const del = new TestUpdate('Del');
    c.pushEvent(del);
    await del.wait();
    expect(c.getConfig('k/1')).toBeUndefined();
    c.pushEvent(new TestUpdate('Put'));
    const full = new TestResync(EventMethodType.FullResync);
    c.pushEvent(full);
    await full.wait();
    expect(c.getConfig('k/1')).toBeUndefined();
    expect(c.getConfig('k/r')).toMatchObject({ name: 'r' });
    expect(await fixture.applied()).toEqual({ 'k/r': { name: 'r' } });
  });

  test('the commit carries the description, retry options, revert flag, and the startup flag on the first resync', async () => {
    const commits: unknown[] = [];
    const memory = memoryFixture();
    const spy = { commit: (req: Parameters<typeof memory.memory.commit>[0]) => (commits.push({ ...req, values: [...req.values.keys()] }), memory.memory.commit(req)) };
    controller = await startController({
      handlers: [recordingHandler('a', calls, { update: (_e, txn) => (txn.put('k', value({ n: 1 })), 'put k'), resync: (_e, _k, _n, txn) => txn.put('k', value({})) })],
      southbound: spy,
      config: { delayRetry: 250, maxRetryAttempts: 5, enableExpBackoffRetry: false },
    });
    controller.pushEvent(new DBResync({}));
    const ev = new TestUpdate('Described', UpdateTransactionType.RevertOnFailure);
    controller.pushEvent(ev);
    await ev.wait();
    const retry = { periodMs: 250, maxAttempts: 5, expBackoff: false };
    expect(commits).toEqual([
      { description: 'Database Resync', values: ['k'], resync: 'full', startup: true, revertOnFailure: false, retry },
      { description: 'Described\n * a: put k', values: ['k'], revertOnFailure: true, retry },
    ]);
    expect(controller.eventHistory({ last: 1 })[0].handlers).toEqual([{ handler: 'a', revert: false, change: 'put k' }]);
  });

  test('a handler that throws, rejects or throws a non-Error never kills the loop', async () => {
    const c = await start([
      recordingHandler('a', calls, {
        update: (ev) => {
          if (ev.getName() === 'Throw') throw new TypeError('boom');
          if (ev.getName() === 'Reject') return Promise.reject(new Error('async boom'));
          // eslint-disable-next-line @typescript-eslint/only-throw-error
          if (ev.getName() === 'String') throw 'a string';
        },
      }),
    ]);
    const events = ['Throw', 'Reject', 'String', 'Fine'].map((n) => new TestUpdate(n, UpdateTransactionType.BestEffortIgnoreErrors));
    for (const ev of events) c.pushEvent(ev);
    await expect(events[0].wait()).rejects.toThrow('boom');
    await expect(events[1].wait()).rejects.toThrow('async boom');
    await expect(events[2].wait()).rejects.toThrow('a string');
    await events[3].wait();
    expect(c.health()).toMatchObject({ live: true, ready: true });
  });

  test('after a big resync the internal config is its values, then the updates; the resync\'s recorded transaction stays as committed', async () => {
    // Over the size from which the internal config reads a resync's values in place (src/loop/internalConfig.ts).
    const count = 5000;
    const c = await start([
      recordingHandler('big', calls, {
        resync: (_e, _kube, _n, txn) => {
          for (let i = 0; i < count; i++) txn.put(`k/big-${i}`, value({ name: `big-${i}` }));
        },
        update: (_e, txn) => {
          txn.put('k/big-0', value({ name: 'changed' }));
          txn.delete('k/big-1');
          txn.put('k/new', value({ name: 'new' }));
        },
      }),
    ]);
    expect(c.getConfig(`k/big-${count - 1}`)).toMatchObject({ name: `big-${count - 1}` });
    const ev = new TestUpdate('Chg');
    c.pushEvent(ev);
    await ev.wait();
    expect([c.getConfig('k/big-0'), c.getConfig('k/big-1'), c.getConfig('k/big-2'), c.getConfig('k/new')]).toMatchObject([
      { name: 'changed' },
      undefined,
      { name: 'big-2' },
      { name: 'new' },
    ]);
    const resync = c.eventHistory().find((record) => record.name === 'Database Resync');
    const recorded = resync?.txn?.values.filter((v) => v.key === 'k/big-0' || v.key === 'k/big-1');
    expect(recorded).toMatchObject([{ value: { name: 'big-0' } }, { value: { name: 'big-1' } }]);
    expect(await fixture.applied()).toMatchObject({ 'k/big-0': { name: 'changed' }, 'k/big-2': { name: 'big-2' }, 'k/new': { name: 'new' } });
    expect(Object.keys(await fixture.applied())).toHaveLength(count);
  });

  test('a HealingResync after an error is a full resync; a periodic one a downstream resync', () => {
    expect(new HealingResync({ type: HealingResyncType.AfterError, error: new Error('x') }).method()).toBe(EventMethodType.FullResync);
    expect(new HealingResync({ type: HealingResyncType.Periodic }).method()).toBe(EventMethodType.DownstreamResync);
    expect(new KubeStateChange({ key: 'k', resource: 'pod', newValue: pod('p') }).direction()).toBe(UpdateDirectionType.Forward);
  });
});

describe('the commit description', () => {
  let controller: Controller | undefined;
  afterEach(async () => {
    await controller?.close();
    controller = undefined;
    jest.restoreAllMocks();
  });

  test('is joined when the southbound first reads it, from the events\' records, even long after they finished', async () => {
    const kept: CommitRequest[] = [];
    const joins = jest.spyOn(HistoryRecord.prototype, 'changeLines');
    const neverReads: Southbound = { commit: (request) => (kept.push(request), {}) };
    controller = await startController({
      handlers: [recordingHandler('a', [], { update: (ev, txn) => (txn.put('k', value({ n: 1 })), `put k for ${ev.getName()}`) })],
      southbound: neverReads,
    });
    controller.pushEvent(new DBResync({}));
    // Pushed together: coalesced into one commit (or more), whose description names each event's line.
    const burst = ['One', 'Two', 'Three'].map((name) => new TestUpdate(name));
    for (const ev of burst) controller.pushEvent(ev);
    await Promise.all(burst.map((ev) => ev.wait()));
    const alone = new TestUpdate('Four');
    controller.pushEvent(alone);
    await alone.wait();
    expect(kept.length).toBeGreaterThanOrEqual(3);
    expect(joins).not.toHaveBeenCalled();

    const last = kept[kept.length - 1];
    expect(last.description).toBe('Four\n * a: put k for Four');
    const all = kept.map((request) => request.description).join('\n');
    for (const name of ['One', 'Two', 'Three']) expect(all).toContain(`a: put k for ${name}`);
    expect(joins).toHaveBeenCalled();
    // A copy or a serialisation of the request carries it like a plain field.
    expect({ ...last }).toMatchObject({ description: 'Four\n * a: put k for Four', revertOnFailure: false });
    expect(JSON.parse(JSON.stringify(last))).toMatchObject({ description: 'Four\n * a: put k for Four' });
  });
});
