import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../support/etcd';

/**
 * Debian's Prometheus for the metrics tests: promtool to lint the exposition, and a real server
 * scraping the agent. scripts/install-test-deps.sh installs the `prometheus` package; a missing
 * tool fails the test with that hint, it never skips it.
 */

export function requireTool(tool: 'promtool' | 'prometheus'): string {
  const probe = spawnSync(tool, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(`${tool} is required by this test but cannot be run (${probe.error?.message ?? `exit ${probe.status}`}): run scripts/install-test-deps.sh, which installs Debian's prometheus package`);
  }
  return tool;
}

/** `promtool check metrics` on an exposition: its exit code and what it said (nothing when the text is clean). */
export function promtoolCheckMetrics(exposition: string): { status: number | null; output: string } {
  const result = spawnSync(requireTool('promtool'), ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

/** A Prometheus server on loopback, scraping one target every second, with its data in `dir`. */
export class PrometheusServer {
  private constructor(
    private readonly child: ChildProcess,
    private readonly exited: Promise<void>,
    readonly url: string,
    private readonly log: () => string,
  ) {}

  static async start(dir: string, target: string): Promise<PrometheusServer> {
    const binary = requireTool('prometheus');
    mkdirSync(join(dir, 'data'), { recursive: true });
    const config = join(dir, 'prometheus.yml');
    writeFileSync(
      config,
      ['global:', '  scrape_interval: 1s', '  evaluation_interval: 1s', 'scrape_configs:', '  - job_name: contivctl', '    static_configs:', `      - targets: ['${target}']`, ''].join('\n'),
    );
    const address = `127.0.0.1:${await freePort()}`;
    const child = spawn(binary, [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=${address}`, '--log.level=warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (log = (log + chunk).slice(-4000)));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    return new PrometheusServer(child, exited, `http://${address}`, () => log);
  }

  /** The value of an instant query's first sample, or undefined while it has none. */
  async query(promql: string): Promise<number | undefined> {
    let response: Response;
    try {
      response = await fetch(`${this.url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    } catch {
      return undefined; // not listening yet
    }
    // Listening but not ready yet (its storage is still starting): a 503 in plain text.
    if (response.status === 503) {
      await response.body?.cancel();
      return undefined;
    }
    const body = (await response.json()) as { status: string; data?: { result: { value: [number, string] }[] } };
    const first = body.data?.result[0];
    return first ? Number(first.value[1]) : undefined;
  }

  /** Waits until `promql` gives a value that `accept` takes; fails with Prometheus's own log after `limitMs`. */
  async waitFor(promql: string, accept: (value: number) => boolean, limitMs = 60_000): Promise<number> {
    const deadline = Date.now() + limitMs;
    for (;;) {
      const value = await this.query(promql);
      if (value !== undefined && accept(value)) return value;
      if (Date.now() > deadline) throw new Error(`Prometheus never answered ${promql} as expected (last: ${value})\n${this.log()}`);
      if (this.child.exitCode !== null) throw new Error(`Prometheus exited with ${this.child.exitCode}\n${this.log()}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    await this.exited;
  }
}
