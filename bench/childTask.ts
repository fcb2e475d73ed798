import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BenchRunError } from './errors';

/**
 * Runs measured work in a fresh `node --expose-gc` process: a run then starts from the same
 * state every time (no heap or JIT left over by another row), and what it measures of memory is
 * its own. A task module calls `serveTask(module, work)`; the parent calls `runTask`.
 */

const RESULT_MARK = 'BENCH-RESULT ';

/** What every task reports besides its own figures. */
export interface TaskOutput<T> {
  result: T;
  /** Peak resident set size of the task process, bytes. */
  maxRssBytes: number;
}

/** With BENCH_PROFILE_DIR set, measured processes write a CPU profile there (`node --cpu-prof`). */
export function profileArgs(): string[] {
  const dir = process.env.BENCH_PROFILE_DIR;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
}

/** Runs `dist/bench/<name>.js` on `input`; rejects with its stderr when it fails. */
export function runTask<I, O>(name: string, input: I, options: { timeoutMs?: number } = {}): Promise<TaskOutput<O>> {
  const script = join(__dirname, `${name}.js`);
  const child = spawn(process.execPath, ['--expose-gc', ...profileArgs(), script, JSON.stringify(input)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err = (err + chunk.toString()).slice(-4000)));
  const timeoutMs = options.timeoutMs ?? 300_000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith(RESULT_MARK));
      if (code !== 0 || !line) {
        reject(new BenchRunError(`task ${name} ${signal ? `killed by ${signal} (timeout ${timeoutMs} ms?)` : `exited with code ${code}`}: ${err.trim() || out.trim()}`));
        return;
      }
      resolve(JSON.parse(line.slice(RESULT_MARK.length)) as TaskOutput<O>);
    });
  });
}

/** The child side: when `module` is the main script, runs `work` on the input and prints its output. */
export function serveTask<I, O>(module: NodeModule, work: (input: I) => Promise<O>): void {
  if (require.main !== module) return;
  work(JSON.parse(process.argv[2] ?? '{}') as I).then(
    (result) => {
      const output: TaskOutput<O> = { result, maxRssBytes: process.resourceUsage().maxRSS * 1024 };
      process.stdout.write(`${RESULT_MARK}${JSON.stringify(output)}\n`);
      // Whatever a library left open (a socket in TIME_WAIT, a timer), the task is over.
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}

/** Peak resident set size of another process (Linux: VmHWM), bytes; undefined elsewhere. */
export function peakRssOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU time of this process's finished children (Linux: cutime + cstime), ms; undefined elsewhere. */
export function childrenCpuMs(): number | undefined {
  try {
    // Fields after the command name (which is in parentheses and may hold spaces): cutime is the 14th, cstime the 15th.
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100;
  } catch {
    return undefined;
  }
}
