import {
  DBResync,
  EventMethodType,
  ExternalConfigChange,
  ExternalConfigMergeError,
  ExternalConfigResync,
  InvalidEventError,
  KubeStateChange,
  type Controller,
  type EventHandler,
  type ExternalConfigSource,
  type KeyValuePairs,
} from '../../src';
import { pod, value } from '../support/messages';
import { waitFor } from '../support/waitFor';
import { names, recordingHandler, SOUTHBOUND_FIXTURES, startController, TestResync, type SouthboundFixture } from '../support/harness';

/** A handler that owns `cfg/<pod>` for every pod, with the pod's name and a tag. */
function podConfigHandler(calls: string[]): EventHandler {
  return recordingHandler('pods', calls, {
    resync: (_ev, kubeState, _n, txn) => {
      for (const key of kubeState.get('pod')?.keys() ?? []) txn.put(`cfg/${key}`, value({ name: key, tags: ['internal'], nested: { a: 'int' } }));
    },
    update: (ev, txn) => {
      if (!(ev instanceof KubeStateChange)) return;
      if (ev.newValue) txn.put(`cfg/${ev.key}`, value({ name: ev.key, tags: ['internal'], nested: { a: 'int' } }));
      else txn.delete(`cfg/${ev.key}`);
    },
  });
}

function change(source: string, values: [string, ReturnType<typeof value> | null][]): ExternalConfigChange {
  const ev = new ExternalConfigChange(source, true);
  for (const [key, v] of values) ev.updatedKVs.set(key, v);
  return ev;
}

describe.each(SOUTHBOUND_FIXTURES)('external config (%s southbound)', (_kind, makeFixture) => {
  let fixture: SouthboundFixture;
  let controller: Controller | undefined;
  const calls: string[] = [];

  beforeEach(async () => {
    fixture = await makeFixture();
  });
  afterEach(async () => {
    await controller?.close();
    controller = undefined;
    await fixture.close();
  });

  async function start(externalSources: ExternalConfigSource[] = [], config = {}): Promise<Controller> {
    controller = await startController({
      handlers: [podConfigHandler(calls)],
      southbound: fixture.southbound,
      externalSources,
      config: { delayAfterErrorHealing: 60000, ...config },
    });
    const resync = new DBResync({
      kubeState: new Map([['pod', new Map([['a', pod('a')]])]]),
      externalConfig: new Map([['ext/only', value({ name: 'db-only' })]]),
    });
    controller.pushEvent(resync);
    await waitFor(() => controller?.health().ready === true, 'startup resync');
    return controller;
  }

  test('a resync merges every external key over the handlers value (protobuf merge) or takes it as is', async () => {
    await start();
    expect(await fixture.applied()).toEqual({
      'cfg/a': { name: 'a', tags: ['internal'], nested: { a: 'int' } },
      'ext/only': { name: 'db-only' },
    });
    const c = controller as Controller;
    const ev = change('db', [['cfg/a', value({ tags: ['external'], nested: { b: 2 } })]]);
    c.pushEvent(ev);
    await ev.wait();
    const full = new TestResync(EventMethodType.FullResync);
    c.pushEvent(full);
    await full.wait();
    expect((await fixture.applied())['cfg/a']).toEqual({ name: 'a', tags: ['internal', 'external'], nested: { a: 'int', b: 2 } });
  });

  test('an external change merges over the internal config; its delete gives the handlers value back', async () => {
    const c = await start();
    const put = change('db', [['cfg/a', value({ name: 'renamed', tags: ['ext'] })]]);
    c.pushEvent(put);
    await put.wait();
    expect((await fixture.applied())['cfg/a']).toEqual({ name: 'renamed', tags: ['internal', 'ext'], nested: { a: 'int' } });
    const del = change('db', [['cfg/a', null]]);
    c.pushEvent(del);
    await del.wait();
    expect((await fixture.applied())['cfg/a']).toEqual({ name: 'a', tags: ['internal'], nested: { a: 'int' } });
  });

  test('an external delete of a key nobody else has deletes it; a new external key is taken as is', async () => {
    const c = await start();
    const add = change('db', [['ext/new', value({ n: 3 })]]);
    c.pushEvent(add);
    await add.wait();
    expect((await fixture.applied())['ext/new']).toEqual({ n: 3 });
    const del = change('db', [['ext/new', null], ['ext/only', null]]);
    c.pushEvent(del);
    await del.wait();
    expect(await fixture.applied()).not.toHaveProperty('ext/new');
    expect(await fixture.applied()).not.toHaveProperty('ext/only');
  });

  test('a handler update of a key that external config also holds is merged with it', async () => {
    const c = await start();
    const ext = change('db', [['cfg/b', value({ tags: ['ext-b'] })]]);
    c.pushEvent(ext);
    await ext.wait();
    c.pushEvent(new KubeStateChange({ key: 'b', resource: 'pod', newValue: pod('b') }));
    await waitFor(() => names(c).filter((n) => n === 'Kubernetes State Change').length === 1 && c.health().state === 'idle', 'pod b');
    expect((await fixture.applied())['cfg/b']).toEqual({ name: 'b', tags: ['internal', 'ext-b'], nested: { a: 'int' } });
    expect(c.getConfig('cfg/b')).toMatchObject({ tags: ['internal'] });
  });

  test('registered sources are re-read at DBResync and merged after "db"; a failing source is skipped', async () => {
    let snapshot: KeyValuePairs = new Map([['cfg/a', value({ name: 'from-src' })]]);
    const good: ExternalConfigSource = { name: 'operator', getConfigSnapshot: async () => snapshot };
    const bad: ExternalConfigSource = {
      name: 'broken',
      getConfigSnapshot: () => {
        throw new Error('source down');
      },
    };
    const c = await start([bad, good]);
    expect((await fixture.applied())['cfg/a']).toMatchObject({ name: 'from-src' });
    snapshot = new Map();
    c.pushEvent(new DBResync({ kubeState: new Map([['pod', new Map([['a', pod('a')]])]]) }));
    await waitFor(() => names(c).filter((n) => n === 'Database Resync').length === 2 && c.health().state === 'idle', 'second DBResync');
    expect((await fixture.applied())['cfg/a']).toMatchObject({ name: 'a' });
    expect(await fixture.applied()).not.toHaveProperty('ext/only');
  });

  test('ExternalConfigResync replaces one source snapshot and rebuilds the config upstream', async () => {
    const c = await start();
    const ev = new ExternalConfigResync('operator', true);
    ev.externalConfig.set('op/x', value({ n: 1 }));
    c.pushEvent(ev);
    await ev.wait();
    expect(c.eventHistory({ last: 1 })[0].txn?.resyncType).toBe('upstream');
    expect(await fixture.applied()).toMatchObject({ 'op/x': { n: 1 }, 'ext/only': { name: 'db-only' } });
  });

  test('an external value of another message type than the key holds is refused at push with InvalidEventError', async () => {
    await start();
    const c = controller as Controller;
    const wrong = change('db', [['cfg/a', pod('not-a-config-value')]]);
    expect(() => c.pushEvent(wrong)).toThrow(InvalidEventError);
    expect(() => c.pushEvent(wrong)).toThrow('external config "cfg/a" from source "db" is a test.Pod, but the key holds test.Value values');
    // A key nobody holds yet takes any type.
    const fresh = change('db', [['ext/new', pod('p')]]);
    c.pushEvent(fresh);
    await fresh.wait();
  });

  test('a value that cannot be merged (another message type, via a resync snapshot) fails that key alone, not every later event', async () => {
    await start();
    const c = controller as Controller;
    const snapshot = new ExternalConfigResync('db', true);
    snapshot.externalConfig.set('cfg/a', pod('wrong-type'));
    snapshot.externalConfig.set('ext/ok', value({ name: 'fine' }));
    c.pushEvent(snapshot);
    const error = await snapshot.wait().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExternalConfigMergeError);
    expect((error as Error).message).toBe('external config of "cfg/a" not merged: cannot merge test.Pod into test.Value');
    const applied = await fixture.applied();
    expect(applied['cfg/a']).toEqual({ name: 'a', tags: ['internal'], nested: { a: 'int' } });
    expect(applied['ext/ok']).toEqual({ name: 'fine' });
    // Later events that do not touch the key go on; one that does reports the key again, no healing.
    const later = change('db', [['ext/more', value({ name: 'more' })]]);
    c.pushEvent(later);
    await later.wait();
    expect(c.actor.getSnapshot().matches({ running: { healing: 'clear' } })).toBe(true);
  });

  test('a commit failing only on external-config keys does not schedule healing', async () => {
    const c = await start([], { delayAfterErrorHealing: 1 });
    await fixture.failKeys('ext/bad', 1, 'rejected');
    const ev = change('db', [['ext/bad', value({ n: 1 })]]);
    c.pushEvent(ev);
    await expect(ev.wait()).rejects.toThrow('rejected');
    expect(c.eventHistory({ last: 1 })[0].txnError).toContain('rejected');
    expect(c.actor.getSnapshot().matches({ running: { healing: 'clear' } })).toBe(true);
  });

  test('a commit failing on a handler key schedules healing, which converges', async () => {
    const c = await start([], { delayAfterErrorHealing: 1 });
    await fixture.failKeys('cfg/c', 1, 'rejected');
    c.pushEvent(new KubeStateChange({ key: 'c', resource: 'pod', newValue: pod('c') }));
    await waitFor(() => names(c).includes('Healing Resync') && c.health().state === 'idle', 'healing resync');
    expect((await fixture.applied())['cfg/c']).toMatchObject({ name: 'c' });
  });
});
