import { Worker } from 'node:worker_threads';
import { StoreWriteError } from './errors';

/** A put (`value` given) or a delete. */
export interface StoreWrite {
  key: string;
  value?: Buffer;
}

/** What a rewrite of a prefix leaves alone and what it wants there. */
export interface PrefixRewrite {
  prefix: string;
  /** Keys under the prefix and the bytes each must hold; any other key under it is deleted. */
  entries: ReadonlyMap<string, Buffer>;
  /** Keys under the prefix that keep whatever they have. */
  untouched: ReadonlySet<string>;
}

/** The store's layout, shared with LmdbStore: three databases, the revision in `meta`. */
export const LMDB_DATABASES = ['kv', 'log', 'meta'] as const;
export const LMDB_MAX_DBS = 4;
export const REVISION_KEY = 'revision';

/** Writes and entries travel packed (packWrites): one buffer, handed over without a copy. */
type Request =
  | { id: number; op: 'apply'; writes: ArrayBuffer }
  | { id: number; op: 'replace'; prefix: string; end: string; entries: ArrayBuffer; untouched: string[] }
  | { op: 'close' };

type Reply = { id: number; revision: number; writes: number } | { id: number; error: { message: string; code?: string } };

/*
 * The writer thread. LMDB's synchronous transactions (a failed commit throws where it is caught,
 * see docs/dbwatcher.md) run here, so that neither their disk sync nor a rewrite of 100,000 keys
 * holds the agent's event loop. lmdb-js shares one LMDB environment between the threads of a
 * process: the main thread reads what this thread committed. Plain JavaScript, run with
 * `eval`, so that it loads the same way from the sources (tests) and from dist/.
 */
const WRITER_THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const { open } = require(workerData.lmdb);
const { path, maxDbs, retention, revisionKey, deleteMark } = workerData;
const root = open({ path, maxDbs });
const kv = root.openDB({ name: 'kv' });
const log = root.openDB({ name: 'log' });
const meta = root.openDB({ name: 'meta' });

// Writes packed by packWrites: key length, key, value length (deleteMark for a delete), value.
function unpack(packed) {
  const buf = Buffer.from(packed);
  const writes = [];
  for (let pos = 0; pos < buf.length; ) {
    const keyEnd = pos + 4 + buf.readUInt32LE(pos);
    const key = buf.toString('utf8', pos + 4, keyEnd);
    const length = buf.readUInt32LE(keyEnd);
    if (length === deleteMark) {
      writes.push({ key, value: undefined });
      pos = keyEnd + 4;
    } else {
      writes.push({ key, value: buf.subarray(keyEnd + 4, keyEnd + 4 + length) });
      pos = keyEnd + 4 + length;
    }
  }
  return writes;
}

// Each write gets its own revision and a change-log record; the log keeps the last 'retention'.
function write(writes) {
  let rev = meta.get(revisionKey) ?? 0;
  let done = 0;
  for (const { key, value } of writes) {
    if (value === undefined && kv.get(key) === undefined) continue;
    rev++;
    done++;
    if (value === undefined) {
      kv.removeSync(key);
      log.putSync(rev, { k: key });
    } else {
      kv.putSync(key, { v: value, r: rev });
      log.putSync(rev, { k: key, v: value });
    }
    if (rev - retention > 0) log.removeSync(rev - retention);
  }
  meta.putSync(revisionKey, rev);
  return { revision: rev, writes: done };
}

// Only real differences are written: reads and writes in one transaction.
function replace(prefix, end, entries, untouched) {
  const wanted = new Map(unpack(entries).map(({ key, value }) => [key, value]));
  const keep = new Set(untouched);
  const writes = [];
  const seen = new Set();
  for (const { key, value } of kv.getRange({ start: prefix, end })) {
    seen.add(key);
    if (keep.has(key)) continue;
    const want = wanted.get(key);
    if (want === undefined) writes.push({ key });
    else if (Buffer.compare(value.v, want) !== 0) writes.push({ key, value: want });
  }
  for (const [key, value] of wanted) if (key.startsWith(prefix) && !seen.has(key) && !keep.has(key)) writes.push({ key, value });
  return writes.length === 0 ? { revision: meta.get(revisionKey) ?? 0, writes: 0 } : write(writes);
}

parentPort.on('message', (request) => {
  if (request.op === 'close') {
    root.close().then(() => parentPort.close());
    return;
  }
  try {
    const result = root.transactionSync(() => (request.op === 'apply' ? write(unpack(request.writes)) : replace(request.prefix, request.end, request.entries, request.untouched)));
    parentPort.postMessage({ id: request.id, ...result });
  } catch (error) {
    const { message, code } = error instanceof Error ? error : { message: String(error) };
    parentPort.postMessage({ id: request.id, error: { message, code: code === undefined ? undefined : String(code) } });
  }
});
`;

/** The value length that marks a delete in packed writes. */
const DELETE = 0xffffffff;

/** The first string after every string starting with `prefix` (prefixes are non-empty). */
export function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/**
 * Writes in one buffer, handed to the thread without a copy. A structured clone copies each
 * value's whole backing store (a value from a watch response is a view into the response), and
 * for a rewrite of 100,000 keys it held the caller about 130 ms; packing them takes about 70.
 */
function packWrites(writes: readonly StoreWrite[]): ArrayBuffer {
  let size = 0;
  for (const { key, value } of writes) size += 8 + Buffer.byteLength(key) + (value?.length ?? 0);
  // Not from Node's buffer pool: the buffer is transferred.
  const packed = Buffer.allocUnsafeSlow(size);
  let pos = 0;
  for (const { key, value } of writes) {
    const keyBytes = packed.write(key, pos + 4);
    packed.writeUInt32LE(keyBytes, pos);
    pos += 4 + keyBytes;
    packed.writeUInt32LE(value === undefined ? DELETE : value.length, pos);
    pos += 4;
    if (value !== undefined) pos += value.copy(packed, pos);
  }
  return packed.buffer as ArrayBuffer;
}

interface Waiter {
  resolve(result: { revision: number; writes: number }): void;
  reject(error: Error): void;
}

/**
 * The writes of an LmdbStore, in a worker thread of their own, one transaction per call, in call
 * order. The thread starts with the first write and ends with `close`; while no write is waiting
 * it does not keep the process alive. If it dies, the writes waiting for it fail. If none was
 * waiting, the next write starts a new thread; if one was, the thread may have died inside a
 * transaction, holding the environment's write lock (a new writer could wait for it for ever), so
 * every later write fails at once until the process restarts: a failure to see, never a hang.
 */
export class LmdbWriter {
  private worker: Worker | undefined;
  private exited: Promise<void> | undefined;
  private readonly waiting = new Map<number, Waiter>();
  private nextId = 1;
  private closing: Promise<void> | undefined;
  private broken: StoreWriteError | undefined;

  constructor(
    private readonly path: string,
    private readonly retention: number,
  ) {}

  /** Puts and deletes in one transaction; resolves with the last revision. */
  async apply(writes: readonly StoreWrite[]): Promise<number> {
    const packed = packWrites(writes);
    return (await this.send((id) => ({ id, op: 'apply', writes: packed }), [packed])).revision;
  }

  /** Makes the keys under the prefix what `rewrite` wants, in one transaction; resolves with the number of writes. */
  async replace(rewrite: PrefixRewrite): Promise<number> {
    const { prefix, untouched } = rewrite;
    const entries = packWrites(Array.from(rewrite.entries, ([key, value]) => ({ key, value })));
    return (await this.send((id) => ({ id, op: 'replace', prefix, end: prefixEnd(prefix), entries, untouched: [...untouched] }), [entries])).writes;
  }

  /** Waits for the writes sent so far, then ends the thread. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    worker.ref();
    worker.postMessage({ op: 'close' } satisfies Request);
    await this.exited;
  }

  private send(request: (id: number) => Request, transfer: ArrayBuffer[] = []): Promise<{ revision: number; writes: number }> {
    if (this.closing) return Promise.reject(new StoreWriteError('the writer thread is closed'));
    if (this.broken) return Promise.reject(this.broken);
    const worker = (this.worker ??= this.start());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      if (this.waiting.size === 1) worker.ref();
      worker.postMessage(request(id), transfer);
    });
  }

  private start(): Worker {
    const worker = new Worker(WRITER_THREAD, {
      eval: true,
      workerData: { lmdb: require.resolve('lmdb'), path: this.path, maxDbs: LMDB_MAX_DBS, retention: this.retention, revisionKey: REVISION_KEY, deleteMark: DELETE },
    });
    worker.unref();
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    worker.on('message', (reply: Reply) => this.answered(reply));
    worker.on('error', (error) => this.stopped(worker, new StoreWriteError(`the writer thread failed: ${error.message}`, { cause: error })));
    worker.on('exit', (code) => this.stopped(worker, new StoreWriteError(`the writer thread exited with code ${code}`)));
    return worker;
  }

  private answered(reply: Reply): void {
    const waiter = this.waiting.get(reply.id);
    if (!waiter) return;
    this.waiting.delete(reply.id);
    // Closing keeps it referenced: the process waits for the thread to close the environment.
    if (this.waiting.size === 0 && !this.closing) this.worker?.unref();
    if ('error' in reply) waiter.reject(new StoreWriteError(reply.error.message, { code: reply.error.code }));
    else waiter.resolve(reply);
  }

  private stopped(worker: Worker, error: StoreWriteError): void {
    if (worker !== this.worker) return;
    this.worker = undefined;
    if (this.waiting.size > 0 && !this.closing) {
      this.broken = new StoreWriteError(`${error.message} during a write: the store takes no more writes until the process restarts`, { cause: error });
    }
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
  }
}
