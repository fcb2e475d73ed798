import { EtcdStore } from '../../src/dbwatcher/etcdStore';
import { StoreUnavailableError, WatchCompactedError } from '../../src/dbwatcher/errors';
import type { StoreChange, StoreWatch } from '../../src/dbwatcher/store';
import { EtcdTestServer } from '../support/etcd';
import { waitFor } from './helpers';

describe('EtcdStore against a real etcd', () => {
  let etcd: EtcdTestServer;
  let store: EtcdStore;

  beforeAll(async () => {
    etcd = await EtcdTestServer.start();
    store = new EtcdStore({ endpoints: [etcd.endpoint] });
  });

  afterAll(async () => {
    await store?.close();
    await etcd?.stop();
  });

  test('put, get, list by prefix and delete report etcd revisions', async () => {
    const r1 = await store.put('/t1/a', 'A');
    const r2 = await store.put('/t1/b', Buffer.from('B'));
    await store.put('/t1x/c', 'C');
    expect(r2).toBeGreaterThan(r1);
    expect((await store.get('/t1/a'))?.value.toString()).toBe('A');
    expect((await store.get('/t1/a'))?.modRevision).toBe(r1);
    const snapshot = await store.list(['/t1/']);
    expect(snapshot.entries.map((e) => e.key).sort()).toEqual(['/t1/a', '/t1/b']);
    expect(snapshot.revision).toBeGreaterThanOrEqual(r2);
    expect(await store.delete('/t1/a')).toBe(true);
    expect(await store.delete('/t1/a')).toBe(false);
    expect(await store.get('/t1/a')).toBeUndefined();
  });

  test('a snapshot of several prefixes is read at one revision and a watch continues it', async () => {
    await store.put('/t2/a/1', 'x');
    await store.put('/t2/b/1', 'y');
    const snapshot = await store.list(['/t2/a/', '/t2/b/']);
    expect(snapshot.entries).toHaveLength(2);
    const rPut = await store.put('/t2/b/2', 'z');
    const rDel = await store.delete('/t2/a/1');
    expect(rDel).toBe(true);
    const seen: StoreChange[] = [];
    const watch = await store.watch(['/t2/a/', '/t2/b/'], snapshot.revision + 1, {
      onChange: (c) => void seen.push(c),
      onError: (e) => {
        throw e;
      },
    });
    try {
      await waitFor(() => seen.length >= 2, 'the two changes');
      expect(seen.map((c) => [c.type, c.key])).toEqual(
        expect.arrayContaining([
          ['put', '/t2/b/2'],
          ['delete', '/t2/a/1'],
        ]),
      );
      expect(seen.find((c) => c.key === '/t2/b/2')?.revision).toBe(rPut);
      await store.put('/t2/a/3', 'w');
      await waitFor(() => seen.some((c) => c.key === '/t2/a/3'), 'a live change');
      expect(seen).toHaveLength(3);
    } finally {
      await watch.close();
    }
  });

  test('a watch behind a compaction fails once with WatchCompactedError; closing it and others throws nothing', async () => {
    const unexpected: unknown[] = [];
    const record = (error: unknown) => void unexpected.push(error);
    process.on('uncaughtException', record);
    process.on('unhandledRejection', record);
    try {
      const first = await store.put('/t3/a', '1');
      for (let i = 0; i < 20; i++) await store.put(`/t3/k${i}`, String(i));
      const last = await store.put('/t3/b', '2');
      await store.compact(last);
      // From a compacted revision: etcd accepts the watch, then cancels it with the compaction revision.
      const errors: Error[] = [];
      const seen: StoreChange[] = [];
      let watch: StoreWatch | undefined;
      try {
        watch = await store.watch(['/t3/', '/t3x/'], first, { onChange: (c) => void seen.push(c), onError: (e) => void errors.push(e) });
      } catch (error) {
        // etcd may cancel the first prefix's watch before the second is created: then the
        // failure is watch()'s own (the watch never opened), else it comes to onError.
        errors.push(error as Error);
      }
      await waitFor(() => errors.length > 0, 'the compaction error');
      expect(errors[0]).toBeInstanceOf(WatchCompactedError);
      expect((errors[0] as WatchCompactedError).oldestRevision).toBe(last);
      await watch?.close();
      // A healthy watch next to it keeps working and closes cleanly.
      const live: StoreChange[] = [];
      const other = await store.watch(['/t3/'], last + 1, { onChange: (c) => void live.push(c), onError: (e) => void errors.push(e) });
      await store.put('/t3/c', '3');
      await waitFor(() => live.length === 1, 'a live change');
      await other.close();
      await store.put('/t3/d', '4');
      expect(errors).toHaveLength(1);
      expect(seen).toEqual([]);
    } finally {
      process.off('uncaughtException', record);
      process.off('unhandledRejection', record);
    }
    expect(unexpected).toEqual([]);
  });

  test('probe fails with StoreUnavailableError when nothing listens', async () => {
    const dead = new EtcdStore({ endpoints: ['127.0.0.1:1'], callTimeoutMs: 500 });
    try {
      await expect(dead.probe(300)).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.probe(1000)).resolves.toBeUndefined();
    } finally {
      await dead.close();
    }
  });
});
