import { EtcdStore } from '../../src/dbwatcher/etcdStore';
import { StoreUnavailableError } from '../../src/dbwatcher/errors';
import type { StoreChange } from '../../src/dbwatcher/store';
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
      await waitFor('the two changes', () => seen.length >= 2);
      expect(seen.map((c) => [c.type, c.key])).toEqual(
        expect.arrayContaining([
          ['put', '/t2/b/2'],
          ['delete', '/t2/a/1'],
        ]),
      );
      expect(seen.find((c) => c.key === '/t2/b/2')?.revision).toBe(rPut);
      await store.put('/t2/a/3', 'w');
      await waitFor('a live change', () => seen.some((c) => c.key === '/t2/a/3'));
      expect(seen).toHaveLength(3);
    } finally {
      await watch.close();
    }
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
