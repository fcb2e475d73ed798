/**
 * What checking an LMDB file before opening it costs (docs/dbwatcher.md, "Damaged files"):
 * the in-process header check against a full read in a child `node` process, on stores of
 * 0, 10,000 and 100,000 keys of ~600 bytes, plus opening the store in-process for comparison.
 * Run: `npm run build && node dist/bench/storeIntegrity.js`.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lmdbHeaderProblem, lmdbReadProblem } from '../src/dbwatcher/lmdbIntegrity';
import { LMDB_FILE, LmdbStore } from '../src/dbwatcher/lmdbStore';

const REPETITIONS = 5;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function timeMs(run: () => unknown): number {
  const start = performance.now();
  run();
  return performance.now() - start;
}

async function fill(dir: string, keys: number): Promise<void> {
  const store = new LmdbStore({ dataDir: dir, changeLogRetention: 10 });
  const value = Buffer.alloc(600, 0x61);
  // One transaction per 10,000 keys, each chunk under a prefix of its own.
  for (let done = 0; done < keys; done += 10_000) {
    const prefix = `/vnf-agent/contiv-ksr/k8s/pod/c${done}-`;
    const count = Math.min(10_000, keys - done);
    await store.replacePrefix(prefix, new Map(Array.from({ length: count }, (_, i) => [`${prefix}p${i}/namespace/default`, value])));
  }
  await store.close();
}

async function main(): Promise<void> {
  console.log(`LMDB integrity check: median of ${REPETITIONS}, node ${process.version}`);
  console.log('| keys | file size | header check (in-process) | full read (child node) | open in-process (header check + open + close) |');
  console.log('|---|---|---|---|---|');
  for (const keys of [0, 10_000, 100_000]) {
    const dir = mkdtempSync(join(tmpdir(), 'integrity-bench-'));
    try {
      await fill(dir, keys);
      const file = join(dir, LMDB_FILE);
      const header: number[] = [];
      const child: number[] = [];
      const open: number[] = [];
      for (let i = 0; i < REPETITIONS; i++) {
        header.push(timeMs(() => lmdbHeaderProblem(file)));
        child.push(timeMs(() => lmdbReadProblem(file, ['kv', 'log', 'meta'])));
        const start = performance.now();
        await new LmdbStore({ dataDir: dir }).close();
        open.push(performance.now() - start);
      }
      const size = `${(statSync(file).size / 1048576).toFixed(1)} MiB`;
      console.log(`| ${keys} | ${size} | ${median(header).toFixed(3)} ms | ${median(child).toFixed(0)} ms | ${median(open).toFixed(1)} ms |`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

void main();
