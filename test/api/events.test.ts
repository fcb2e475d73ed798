import {
  CustomUpdateEvent,
  DBResync,
  EventMethodType,
  ExternalConfigChange,
  ExternalConfigResync,
  HealingResync,
  HealingResyncType,
  KubeStateChange,
  Shutdown,
  UpdateDirectionType,
  UpdateTransactionType,
  VerificationResync,
  isUpdateEvent,
  type Event,
} from '../../src';
import { pod, value } from '../support/messages';

describe('built-in events, as the table of the semantics page says', () => {
  const table: [Event, string, EventMethodType, boolean][] = [
    [new DBResync(), 'Database Resync', EventMethodType.FullResync, false],
    [new KubeStateChange({ key: 'k', resource: 'pod', newValue: pod('p') }), 'Kubernetes State Change', EventMethodType.Update, false],
    [new ExternalConfigChange('db', true), 'External Config Change', EventMethodType.Update, true],
    [new ExternalConfigResync('src', false), 'External Config Resync', EventMethodType.UpstreamResync, false],
    [new HealingResync({ type: HealingResyncType.Periodic }), 'Healing Resync', EventMethodType.DownstreamResync, false],
    [new HealingResync({ type: HealingResyncType.AfterError, error: new Error('e') }), 'Healing Resync', EventMethodType.FullResync, false],
    [new Shutdown(), 'Shutdown', EventMethodType.Update, true],
    [new VerificationResync(), 'Verification Resync', EventMethodType.UpstreamResync, false],
  ];

  test.each(table)('%s: name, method and blocking', (event, name, method, blocking) => {
    expect(event.getName()).toBe(name);
    expect(event.method()).toBe(method);
    expect(event.isBlocking()).toBe(blocking);
  });

  test('enums are numbered in the order of the reference, from 0', () => {
    expect([EventMethodType.FullResync, EventMethodType.DownstreamResync, EventMethodType.UpstreamResync, EventMethodType.Update]).toEqual([0, 1, 2, 3]);
    expect([UpdateDirectionType.Forward, UpdateDirectionType.Reverse]).toEqual([0, 1]);
    expect([UpdateTransactionType.BestEffort, UpdateTransactionType.BestEffortIgnoreErrors, UpdateTransactionType.RevertOnFailure]).toEqual([0, 1, 2]);
    expect([HealingResyncType.Periodic, HealingResyncType.AfterError]).toEqual([0, 1]);
  });

  test('update events are best-effort; a KubeStateChange that deletes flows in reverse', () => {
    const add = new KubeStateChange({ key: 'k', resource: 'pod', newValue: pod('p') });
    const del = new KubeStateChange({ key: 'k', resource: 'pod', prevValue: pod('p'), newValue: null });
    for (const ev of [add, del, new ExternalConfigChange('db'), new Shutdown()]) {
      expect(isUpdateEvent(ev)).toBe(true);
      expect(ev.transactionType()).toBe(UpdateTransactionType.BestEffort);
    }
    expect(add.direction()).toBe(UpdateDirectionType.Forward);
    expect(del.direction()).toBe(UpdateDirectionType.Reverse);
    expect(new ExternalConfigChange('db').direction()).toBe(UpdateDirectionType.Forward);
    expect(isUpdateEvent(new DBResync())).toBe(false);
  });

  test('DBResync describes each resource as N x resource with namespace/name, then external keys', () => {
    const ev = new DBResync({
      local: true,
      kubeState: new Map([
        ['pod', new Map([['a', pod('web', 'prod')], ['b', pod('db', 'prod')]])],
        ['namespace', new Map()],
      ]),
      externalConfig: new Map([['vpp/x', value({})]]),
    });
    expect(ev.toString()).toBe('Database Resync (from local DB)\n * 2 x pod: [prod/web, prod/db]\n * external config: [vpp/x]');
    expect(new DBResync({}).toString()).toBe('Database Resync - empty dataset');
  });

  test('wait() resolves on success, rejects with the error, and settles once', async () => {
    const ok = new ExternalConfigChange('db', true);
    ok.done();
    ok.done(new Error('too late'));
    await expect(ok.wait()).resolves.toBeUndefined();
    const failed = new ExternalConfigResync('s', true);
    failed.done(new Error('nope'));
    await expect(failed.wait()).rejects.toThrow('nope');
  });

  test('a failed event nobody waits for does not raise an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const listener = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', listener);
    try {
      new Shutdown().done(new Error('ignored by everyone'));
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('unhandledRejection', listener);
    }
    expect(unhandled).toEqual([]);
  });

  test('CustomUpdateEvent: a best-effort forward non-blocking update by default, configurable, with wait()', async () => {
    const plain = new CustomUpdateEvent({ name: 'Mine' });
    expect([plain.getName(), plain.toString(), plain.method(), plain.transactionType(), plain.direction(), plain.isBlocking()]).toEqual([
      'Mine',
      'Mine',
      EventMethodType.Update,
      UpdateTransactionType.BestEffort,
      UpdateDirectionType.Forward,
      false,
    ]);
    expect(isUpdateEvent(plain)).toBe(true);
    const custom = new CustomUpdateEvent({
      name: 'Strict',
      transactionType: UpdateTransactionType.RevertOnFailure,
      direction: UpdateDirectionType.Reverse,
      blocking: true,
    });
    expect([custom.transactionType(), custom.direction(), custom.isBlocking()]).toEqual([UpdateTransactionType.RevertOnFailure, UpdateDirectionType.Reverse, true]);
    custom.done(new Error('refused'));
    await expect(custom.wait()).rejects.toThrow('refused');
  });
});
