import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { StoreUnavailableError, StoreWriteError, WatchCompactedError } from '../../src/dbwatcher/errors';
import { LmdbStore } from '../../src/dbwatcher/lmdbStore';
import type { LmdbWriter } from '../../src/dbwatcher/lmdbWriter';
import type { StoreChange } from '../../src/dbwatcher/store';
import { tempDir, waitFor } from './helpers';

describe('LmdbStore (a real LMDB file in a temp dir)', () => {
  const dir = tempDir('lmdb-store');
  const stores: LmdbStore[] = [];
  const open = (options: { changeLogRetention?: number; pollIntervalMs?: number } = {}, path = dir.path) => {
    const store = new LmdbStore({ dataDir: path, ...options });
    stores.push(store);
    return store;
  };

  afterAll(async () => {
    for (const store of stores) await store.close();
    dir.remove();
  });

  test('put, get, list and delete with store-wide revisions', async () => {
    const store = open({}, `${dir.path}/basic`);
    const r1 = await store.put('/p/a', 'A');
    const r2 = await store.put('/p/b', 'B');
    await store.put('/q/c', 'C');
    expect([r1, r2]).toEqual([1, 2]);
    expect(await store.get('/p/a')).toEqual({ key: '/p/a', value: Buffer.from('A'), modRevision: 1 });
    const snapshot = await store.list(['/p/', '/q/']);
    expect(snapshot.revision).toBe(3);
    expect(snapshot.entries.map((e) => e.key)).toEqual(['/p/a', '/p/b', '/q/c']);
    expect(await store.delete('/p/a')).toBe(true);
    expect(await store.delete('/p/a')).toBe(false);
    expect((await store.list(['/p/'])).entries.map((e) => e.key)).toEqual(['/p/b']);
    expect(store.currentRevision()).toBe(4);
  });

  test('data and revisions survive closing and reopening', async () => {
    const path = `${dir.path}/reopen`;
    const first = new LmdbStore({ dataDir: path });
    await first.put('/k', 'v1');
    await first.put('/k', 'v2');
    await first.close();
    const second = open({}, path);
    expect((await second.get('/k'))?.value.toString()).toBe('v2');
    expect(await second.put('/k', 'v3')).toBe(3);
  });

  test('a watch reports every change under its prefixes from a revision on, in order', async () => {
    const store = open({}, `${dir.path}/watch`);
    await store.put('/w/old', '0');
    const from = store.currentRevision() + 1;
    await store.put('/w/a', '1');
    await store.put('/other/x', 'ignored');
    const seen: StoreChange[] = [];
    const watch = await store.watch(['/w/'], from, { onChange: (c) => void seen.push(c), onError: (e) => { throw e; } });
    await store.delete('/w/a');
    await store.put('/w/b', '2');
    await waitFor(() => seen.length === 3, 'three changes');
    expect(seen.map((c) => `${c.type} ${c.key} @${c.revision}`)).toEqual(['put /w/a @2', 'delete /w/a @4', 'put /w/b @5']);
    await watch.close();
  });

  test('a watch from a revision trimmed from the change log fails with WatchCompactedError', async () => {
    const store = open({ changeLogRetention: 3 }, `${dir.path}/compact`);
    for (let i = 0; i < 6; i++) await store.put(`/c/${i}`, String(i));
    const listener = { onChange: () => undefined, onError: () => undefined };
    await expect(store.watch(['/c/'], 1, listener)).rejects.toBeInstanceOf(WatchCompactedError);
    const watch = await store.watch(['/c/'], 5, listener);
    await watch.close();
  });

  test('replacePrefix writes only the differences, in one revision range', async () => {
    const store = open({}, `${dir.path}/replace`);
    await store.put('/m/keep', 'same');
    await store.put('/m/change', 'old');
    await store.put('/m/drop', 'x');
    await store.put('/n/outside', 'untouched');
    const writes = await store.replacePrefix(
      '/m/',
      new Map([
        ['/m/keep', Buffer.from('same')],
        ['/m/change', Buffer.from('new')],
        ['/m/add', Buffer.from('a')],
      ]),
    );
    expect(writes).toBe(3);
    const snapshot = await store.list(['/m/', '/n/']);
    expect(Object.fromEntries(snapshot.entries.map((e) => [e.key, e.value.toString()]))).toEqual({
      '/m/add': 'a',
      '/m/change': 'new',
      '/m/keep': 'same',
      '/n/outside': 'untouched',
    });
  });

  test('a second store on the same directory sees the first one\'s writes through its watch', async () => {
    const path = `${dir.path}/shared`;
    const writer = open({}, path);
    const reader = open({ pollIntervalMs: 50 }, path);
    const seen: StoreChange[] = [];
    const watch = await reader.watch(['/s/'], reader.currentRevision() + 1, { onChange: (c) => void seen.push(c), onError: () => undefined });
    await writer.put('/s/1', 'one');
    await waitFor(() => seen.length === 1, 'the other store\'s write');
    expect(seen[0]).toMatchObject({ type: 'put', key: '/s/1' });
    await watch.close();
  });

  test('writes commit in a thread of their own: the event loop turns while a big rewrite is written', async () => {
    const store = open({}, `${dir.path}/thread`);
    const entries = new Map(Array.from({ length: 20_000 }, (_, i) => [`/big/${i}`, Buffer.alloc(200, i % 256)] as const));
    let turns = 0;
    let writing = true;
    const turn = (): void => {
      turns++;
      if (writing) setImmediate(turn);
    };
    setImmediate(turn);
    const written = await store.replacePrefix('/big/', entries);
    writing = false;
    expect(written).toBe(20_000);
    // A write on this thread would have held it until the commit was on disk: no turn at all.
    expect(turns).toBeGreaterThan(0);
    // What the writer thread committed is read at once on this one.
    expect(store.currentRevision()).toBe(20_000);
    expect((await store.get('/big/7'))?.value).toEqual(Buffer.alloc(200, 7));
  });

  test('a write LMDB refuses fails alone, with LMDB\'s error as the cause; the store goes on', async () => {
    const store = open({}, `${dir.path}/refused`);
    const failed = store.put(`/${'k'.repeat(3000)}`, 'v');
    await expect(failed).rejects.toThrow(StoreUnavailableError);
    const error = (await failed.catch((thrown: Error) => thrown)) as Error;
    expect(error.cause).toBeInstanceOf(StoreWriteError);
    expect((error.cause as Error).message).toMatch(/key size/i);
    // The key is shown cut: an error line stays short.
    expect(error.message.length).toBeLessThan(400);
    expect(await store.put('/fine', 'v')).toBe(1);
  });

  test('close lets the writes already sent land', async () => {
    const path = `${dir.path}/closing`;
    const store = new LmdbStore({ dataDir: path });
    const writes = [store.put('/a', '1'), store.put('/b', '2'), store.apply([{ key: '/c', value: Buffer.from('3') }, { key: '/a' }])];
    await store.close();
    expect(await Promise.all(writes)).toEqual([1, 2, 4]);
    await expect(store.put('/d', '4')).rejects.toThrow(/closed/);
    const reopened = open({}, path);
    expect((await reopened.list(['/'])).entries.map((e) => e.key)).toEqual(['/b', '/c']);
  });

  test('an idle writer thread does not keep a process alive (a store that is never closed)', async () => {
    const lmdbStore = join(__dirname, '..', '..', 'dist', 'src', 'dbwatcher', 'lmdbStore.js');
    const script = `const { LmdbStore } = require(${JSON.stringify(lmdbStore)});
      new LmdbStore({ dataDir: ${JSON.stringify(`${dir.path}/unclosed`)} }).put('/k', 'v').then((revision) => console.log('revision', revision));`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect({ code, output: output.trim() }).toEqual({ code: 0, output: 'revision 1' });
  });
});

describe('LmdbWriter (the store\'s writer thread, a real LMDB file)', () => {
  const dir = tempDir('lmdb-writer');
  afterAll(() => dir.remove());

  const threadOf = (store: LmdbStore): Worker => ((store as unknown as { writer: LmdbWriter }).writer as unknown as { worker: Worker }).worker;

  test('a writer thread that dies while idle is replaced by the next write', async () => {
    const store = new LmdbStore({ dataDir: `${dir.path}/idle` });
    await store.put('/before', '1');
    await threadOf(store).terminate();
    expect(await store.put('/after', '2')).toBe(2);
    expect((await store.get('/after'))?.value).toEqual(Buffer.from('2'));
    await store.close();
  });

  test('a writer thread that dies during a write fails it, and every later write at once (no hang on a held write lock)', async () => {
    const store = new LmdbStore({ dataDir: `${dir.path}/during` });
    await store.put('/before', '1');
    const thread = threadOf(store);
    const answered = once(thread, 'message');
    const write = store.apply([{ key: '/lost', value: Buffer.from('x') }]);
    // As if the thread had died inside the transaction. (Terminating a thread while it is inside
    // lmdb-js' native write can wait for ever, so the death is told, not caused.)
    thread.emit('exit', 1);
    const error = (await write.catch((thrown: Error) => thrown)) as Error;
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error.cause).toBeInstanceOf(StoreWriteError);
    expect((error.cause as Error).message).toMatch(/writer thread exited with code 1/);
    const later = (await store.put('/after', '2').catch((thrown: Error) => thrown)) as Error;
    expect(later).toBeInstanceOf(StoreUnavailableError);
    expect(later.message).toMatch(/no more writes until the process restarts/);
    // Reads go on, and the store still closes.
    expect((await store.get('/before'))?.value).toEqual(Buffer.from('1'));
    await store.close();
    // The real thread, idle once it has answered, is stopped by hand (the writer let go of it).
    await answered;
    await thread.terminate();
  });
});
