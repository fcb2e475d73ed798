/**
 * The performance targets live in `npm run bench`, which nothing else runs: a change that breaks a
 * benchmark (a task's input, a server it starts, a report it builds) would show only in the next
 * full run. So every family runs here, small and once (`--smoke`): end to end, with its real
 * servers, but nothing timed and no target judged (docs/benchmarks.md, "Smoke run").
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findEtcdBinary } from '../support/etcd';

const ROOT = join(__dirname, '..', '..');
const RUN = join(ROOT, 'dist', 'bench', 'run.js');
const DOC = join(ROOT, 'docs', 'benchmarks.md');
/** Far above what a smoke run takes (about 30 s alone on 2 cores), for a machine busy with other suites. */
const RUN_LIMIT_MS = 480_000;

interface BenchExit {
  code: number | null;
  stdout: string;
  stderr: string;
}

function bench(args: string[]): Promise<BenchExit> {
  if (!existsSync(RUN)) throw new Error(`${RUN} is missing: run "npm run build" before this test`);
  const child = spawn(process.execPath, [RUN, ...args], { cwd: ROOT, env: { ...process.env, ETCD_BIN: findEtcdBinary() }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const limit = setTimeout(() => child.kill('SIGKILL'), RUN_LIMIT_MS);
  return new Promise((resolve) => {
    child.once('close', (code) => {
      clearTimeout(limit);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The rows of every table in the output, as cells. */
function tableRows(output: string): string[][] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| row ') && !line.startsWith('| ---'))
    .map((line) => line.split('|').slice(1, -1).map((cell) => cell.trim()));
}

test('every benchmark family runs end to end in a smoke run, judges nothing and leaves docs/benchmarks.md as it is', async () => {
  const families = (await bench(['--list'])).stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => line.split(/\s+/)[0]);
  expect(families).toEqual(expect.arrayContaining(['loop', 'grpc', 'resync', 'latency', 'etcd', 'memory', 'startup', 'rest']));
  const doc = readFileSync(DOC, 'utf8');

  const run = await bench(['--smoke']);

  const output = `--- stdout:\n${run.stdout.slice(-6000)}\n--- stderr:\n${run.stderr.slice(-3000)}`;
  if (run.code !== 0) throw new Error(`the smoke run exited with code ${run.code}\n${output}`);
  expect(run.stdout).not.toContain('FAILED');
  expect(run.stdout).toContain('smoke run: every family ran');
  for (const family of families) {
    const section = run.stdout.split(new RegExp(`^### ${family}: .*$`, 'm'))[1]?.split(/^### /m)[0];
    if (section === undefined) throw new Error(`no section for the ${family} family\n${output}`);
    // Every row of the family has a figure.
    const rows = tableRows(section);
    expect(rows.length).toBeGreaterThan(0);
    for (const cells of rows) expect({ row: cells[0], figure: cells[1] }).toEqual({ row: cells[0], figure: expect.stringMatching(/\d/) });
  }
  // A target is printed with its row, but the verdict column stays empty.
  const verdicts = tableRows(run.stdout).map((cells) => cells[cells.length - 1]);
  expect(verdicts.filter((verdict) => verdict !== '')).toEqual([]);
  expect(tableRows(run.stdout).some((cells) => cells[cells.length - 2] !== '')).toBe(true);
  expect(readFileSync(DOC, 'utf8')).toBe(doc);
}, RUN_LIMIT_MS + 60_000);

test('a smoke run cannot rewrite the measured results', async () => {
  const run = await bench(['--smoke', '--write']);
  expect(run.code).toBe(2);
  expect(run.stderr).toContain('--write keeps measured results: a smoke run has none to keep');
});
