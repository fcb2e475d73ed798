import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../src/packageRoot';
import { profileArgs } from './childTask';

/** A server a bench run talks to, in this process or in another. */
export interface RunningServer {
  readonly address: string;
  stop(): Promise<void>;
}

/** A server in a child process (the reference southbound: `contivctl southbound`, as it runs next to an agent). */
export interface SouthboundProcess extends RunningServer {
  readonly pid: number | undefined;
}

const STARTUP_TIMEOUT_MS = 15_000;

/** Starts `contivctl southbound --listen 127.0.0.1:0 [args]` from the build and waits for its address; profiled too under BENCH_PROFILE_DIR. */
export function startSouthboundProcess(args: string[] = []): Promise<SouthboundProcess> {
  const cli = join(packageRoot(), 'dist', 'src', 'cli', 'main.js');
  return startListeningProcess('the southbound', [cli, 'southbound', '--listen', '127.0.0.1:0', '--log-level', 'warn', ...args]);
}

/** Starts `node <args>` and waits for it to print `listening on <address>`; stopped with SIGTERM. */
export async function startListeningProcess(what: string, args: string[]): Promise<SouthboundProcess> {
  const child = spawn(process.execPath, [...profileArgs(), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`${what} did not start within ${STARTUP_TIMEOUT_MS} ms: ${out}`)), STARTUP_TIMEOUT_MS);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    child.once('exit', (code) => fail(new Error(`${what} exited with code ${code}: ${out}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (\S+)/.exec(out);
      if (!match) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve(match[1]);
    });
  });
  return { address, pid: child.pid, stop: () => stopChild(child) };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/**
 * Run as a script (`require.main === module`): starts the server, prints `listening on <address>`
 * for startListeningProcess, and serves until SIGTERM.
 */
export function serveWhenMain(module: NodeModule, start: () => Promise<RunningServer>): void {
  if (require.main !== module) return;
  void start().then((server) => {
    process.stdout.write(`listening on ${server.address}\n`);
    process.once('SIGTERM', () => void server.stop().then(() => process.exit(0)));
  });
}
