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

type Request =
  | { id: number; op: 'apply'; writes: readonly StoreWrite[] }
  | { id: number; op: 'replace'; prefix: string; entries: ArrayBuffer; untouched: string[] }
  | { op: 'close' };

type Reply = { id: number; revision: number; writes: number } | { id: number; error: { name: string; message: string; code?: string } };

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
const { path, maxDbs, retention, revisionKey } = workerData;
const root = open({ path, maxDbs });
const kv = root.openDB({ name: 'kv' });
const log = root.openDB({ name: 'log' });
const meta = root.openDB({ name: 'meta' });
// Values arrive as Uint8Array: a Buffer view of the same bytes encodes as before.
const bytes = (value) => Buffer.from(value.buffer, value.byteOffset, value.byteLength);

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
      const v = bytes(value);
      kv.putSync(key, { v, r: rev });
      log.putSync(rev, { k: key, v });
    }
    if (rev - retention > 0) log.removeSync(rev - retention);
  }
  meta.putSync(revisionKey, rev);
  return { revision: rev, writes: done };
}

// The entries of a rewrite, packed by packEntries: key length, key, value length, value.
function unpack(packed) {
  const buf = Buffer.from(packed);
  const entries = new Map();
  for (let pos = 0; pos < buf.length; ) {
    const keyEnd = pos + 4 + buf.readUInt32LE(pos);
    const key = buf.toString('utf8', pos + 4, keyEnd);
    const valueEnd = keyEnd + 4 + buf.readUInt32LE(keyEnd);
    entries.set(key, buf.subarray(keyEnd + 4, valueEnd));
    pos = valueEnd;
  }
  return entries;
}

// Only real differences are written: reads and writes in one transaction.
function replace(prefix, entries, untouched) {
  const wanted = unpack(entries);
  const keep = new Set(untouched);
  const end = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
  const writes = [];
  const seen = new Set();
  for (const { key, value } of kv.getRange({ start: prefix, end })) {
    seen.add(key);
    if (keep.has(key)) continue;
    const want = wanted.get(key);
    if (want === undefined) writes.push({ key });
    else if (!Buffer.from(value.v).equals(bytes(want))) writes.push({ key, value: want });
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
    const result = root.transactionSync(() => (request.op === 'apply' ? write(request.writes) : replace(request.prefix, request.entries, request.untouched)));
    parentPort.postMessage({ id: request.id, ...result });
  } catch (error) {
    parentPort.postMessage({ id: request.id, error: { name: String(error && error.name), message: String(error && error.message !== undefined ? error.message : error), code: error && error.code } });
  }
});
`;

/**
 * A rewrite's entries in one buffer, handed to the thread without a copy: a structured clone of
 * 100,000 keys and values held the caller's thread about 130 ms.
 */
function packEntries(entries: ReadonlyMap<string, Buffer>): ArrayBuffer {
  let size = 0;
  for (const [key, value] of entries) size += 8 + Buffer.byteLength(key) + value.length;
  // Not from Node's buffer pool: the buffer is transferred.
  const packed = Buffer.allocUnsafeSlow(size);
  let pos = 0;
  for (const [key, value] of entries) {
    const keyBytes = packed.write(key, pos + 4);
    packed.writeUInt32LE(keyBytes, pos);
    pos += 4 + keyBytes;
    packed.writeUInt32LE(value.length, pos);
    value.copy(packed, pos + 4);
    pos += 4 + value.length;
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
 * it does not keep the process alive. If it dies, the writes waiting for it fail and the next write
 * starts a new one.
 */
export class LmdbWriter {
  private worker: Worker | undefined;
  private exited: Promise<void> | undefined;
  private readonly waiting = new Map<number, Waiter>();
  private nextId = 1;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly path: string,
    private readonly retention: number,
  ) {}

  /** Puts and deletes in one transaction; resolves with the last revision. */
  async apply(writes: readonly StoreWrite[]): Promise<number> {
    return (await this.send((id) => ({ id, op: 'apply', writes }))).revision;
  }

  /** Makes the keys under the prefix what `rewrite` wants, in one transaction; resolves with the number of writes. */
  async replace(rewrite: PrefixRewrite): Promise<number> {
    const { prefix, untouched } = rewrite;
    const entries = packEntries(rewrite.entries);
    return (await this.send((id) => ({ id, op: 'replace', prefix, entries, untouched: [...untouched] }), [entries])).writes;
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
      workerData: { lmdb: require.resolve('lmdb'), path: this.path, maxDbs: LMDB_MAX_DBS, retention: this.retention, revisionKey: REVISION_KEY },
    });
    worker.unref();
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    worker.on('message', (reply: Reply) => this.answered(reply));
    worker.on('error', (error) => this.stopped(worker, new StoreWriteError('the writer thread failed', { cause: error })));
    worker.on('exit', (code) => this.stopped(worker, new StoreWriteError(`the writer thread exited with code ${code}`)));
    return worker;
  }

  private answered(reply: Reply): void {
    const waiter = this.waiting.get(reply.id);
    if (!waiter) return;
    this.waiting.delete(reply.id);
    if (this.waiting.size === 0) this.worker?.unref();
    if ('error' in reply) waiter.reject(new StoreWriteError(reply.error.message, { name: reply.error.name, code: reply.error.code }));
    else waiter.resolve(reply);
  }

  private stopped(worker: Worker, error: StoreWriteError): void {
    if (worker !== this.worker) return;
    this.worker = undefined;
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
  }
}
