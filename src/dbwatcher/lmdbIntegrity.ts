import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';

/**
 * Whether an LMDB file can be opened without killing the process. A damaged LMDB file does not
 * fail with an error: a truncated one raises SIGBUS when a page past its end is touched, a
 * corrupt page SIGSEGV, and a 0-byte file opens as a new, empty database. Neither signal can
 * be caught in-process, so the check is in two steps (docs/dbwatcher.md has the costs):
 *  1. the header, in-process (microseconds): the meta pages' magic number, page size and last
 *     page, against the file's size; catches empty, foreign and truncated files;
 *  2. a full read in a child `node` process (the cost of starting node plus reading the data):
 *     every database of the file opened and every entry read and decoded; a crash, an error or
 *     a time-out of the child means damaged.
 */

const MAGIC = 0xbeefc0de;
/** Where the magic number of a meta page is: after the page header of LMDB 0.9 (16 bytes) or of lmdb-js' LMDB (24). */
const MAGIC_OFFSETS = [24, 16];
const MIN_PAGE_SIZE = 512;

interface MetaPage {
  pageSize: number;
  lastPage: number;
  txnId: bigint;
}

function readMeta(buffer: Buffer, pageStart: number): MetaPage | undefined {
  for (const offset of MAGIC_OFFSETS) {
    const at = pageStart + offset;
    if (at + 136 > buffer.length || buffer.readUInt32LE(at) !== MAGIC) continue;
    // magic, version (4), address (8), map size (8), then two database records of 48 bytes
    // (the first one's first field holds the page size), the last page and the transaction id.
    const pageSize = buffer.readUInt32LE(at + 24);
    const lastPage = Number(buffer.readBigUInt64LE(at + 120));
    const txnId = buffer.readBigUInt64LE(at + 128);
    return { pageSize, lastPage, txnId };
  }
  return undefined;
}

function readHead(path: string, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const read = readSync(fd, buffer, 0, length, 0);
    return buffer.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

/** Step 1: the reason the header says the file is damaged, or undefined. A missing file is fine (a new store). */
export function lmdbHeaderProblem(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  const size = statSync(path).size;
  if (size === 0) return 'the file is empty (0 bytes)';
  const first = readHead(path, 4096);
  const meta0 = readMeta(first, 0);
  if (!meta0 || meta0.pageSize < MIN_PAGE_SIZE || (meta0.pageSize & (meta0.pageSize - 1)) !== 0) {
    return 'no valid LMDB meta page at the start of the file';
  }
  const head = readHead(path, meta0.pageSize * 2);
  const meta1 = readMeta(head, meta0.pageSize);
  // LMDB uses the meta page of the newer transaction.
  const current = meta1 && meta1.txnId > meta0.txnId ? meta1 : meta0;
  const needed = (current.lastPage + 1) * current.pageSize;
  if (size < needed) return `the file is truncated: ${size} bytes, its last page ends at byte ${needed}`;
  return undefined;
}

/** Reads every entry of every database in the child; exits 0 when all were read. */
const READ_ALL = `
const [lmdbModule, path, names] = process.argv.slice(1);
const { open } = require(lmdbModule);
const root = open({ path, readOnly: true, maxDbs: 16 });
let entries = 0;
for (const name of JSON.parse(names)) {
  const db = root.openDB({ name });
  for (const entry of db.getRange()) if (entry.value !== undefined) entries++;
}
process.stdout.write(String(entries));
`;

/** Step 2: the reason a full read of the file in a child process failed, or undefined. */
export function lmdbReadProblem(path: string, databases: readonly string[], timeoutMs = 60_000): string | undefined {
  if (!existsSync(path)) return undefined;
  const child = spawnSync(process.execPath, ['-e', READ_ALL, require.resolve('lmdb'), path, JSON.stringify(databases)], {
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
  });
  if (child.error) return `the checking process failed: ${child.error.message}`;
  if (child.signal) return `reading it killed the checking process (${child.signal})`;
  if (child.status !== 0) {
    const lastLine = child.stderr.trim().split('\n').filter((line) => /Error|error/.test(line)).pop() ?? `exit code ${child.status}`;
    return `reading it failed: ${lastLine.slice(0, 300)}`;
  }
  return undefined;
}

/** Both steps; the reason the file is damaged, or undefined. */
export function lmdbFileProblem(path: string, databases: readonly string[]): string | undefined {
  return lmdbHeaderProblem(path) ?? lmdbReadProblem(path, databases);
}
