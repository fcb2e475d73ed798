import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The real `contivctl` binary (dist/src/cli/main.js) in a child process, for the CLI tests. The
 * test command builds dist/ first (`npm run build`); a missing build fails with that hint.
 */

export const CLI_PATH = join(__dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');

export function requireBuiltCli(): string {
  if (!existsSync(CLI_PATH)) throw new Error(`${CLI_PATH} is missing: run "npm run build" (npx tsc -p tsconfig.json) before the CLI tests`);
  return CLI_PATH;
}

/** The environment of a child: this one without any CONTIVCTL_* variable, plus `env`. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('CONTIVCTL_')));
  return { ...clean, ...env };
}

export class CliProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;
  private exitStatus: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  constructor(args: string[], env: Record<string, string> = {}) {
    this.child = spawn(process.execPath, [requireBuiltCli(), ...args], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => {
      this.child.once('close', (code, signal) => {
        this.exitStatus = { code, signal };
        resolve(this.exitStatus);
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.exitStatus === undefined;
  }

  /** Waits until stdout (or stderr) matches; fails with both outputs after `limitMs` or when the process exits first. */
  async waitForOutput(pattern: RegExp, limitMs = 30_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + limitMs;
    for (;;) {
      const match = this.stdout.match(pattern) ?? this.stderr.match(pattern);
      if (match) return match;
      if (!this.running || Date.now() > deadline) {
        throw new Error(`no ${pattern} in the output (${this.running ? 'timed out' : 'process exited'})\n--- stdout:\n${this.stdout.slice(-4000)}\n--- stderr:\n${this.stderr.slice(-4000)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** The REST URL the agent logs at start ("agent started" with restUrl). */
  async restUrl(): Promise<string> {
    const match = await this.waitForOutput(/"restUrl":"(http:\/\/[^"]+)"|restUrl=(http:\/\/\S+)/);
    return match[1] ?? match[2] ?? '';
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** For afterEach/afterAll: SIGKILL if still running, then wait for the exit. */
  async stop(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** Runs the CLI to completion. */
export async function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = new CliProcess(args, env);
  const { code } = await cli.exited;
  return { code, stdout: cli.stdout, stderr: cli.stderr };
}

/** True while a process with this pid exists. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
