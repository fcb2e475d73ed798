import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../src/packageRoot';
import { childrenCpuMs } from './childTask';
import type { Timing } from './stats';
import { BenchRunError } from './errors';

/**
 * The Go anchor (bench/go-anchor/main.go): a stdlib-only re-creation of the original controller's
 * per-event path on the same workload. The project needs no Go: the anchor is built only when
 * `go` is on PATH, or taken ready-built from BENCH_GO_ANCHOR.
 */
export interface GoAnchor {
  /** Where the binary came from, for the report. */
  source: string;
  run(events: number): Timing;
  /** Removes the temporary build. */
  dispose(): void;
}

/** Builds (or finds) the anchor; undefined with the reason when there is no Go here. */
export function prepareGoAnchor(): { anchor?: GoAnchor; reason?: string } {
  const given = process.env.BENCH_GO_ANCHOR;
  if (given) return { anchor: anchorAt(given, `BENCH_GO_ANCHOR=${given}`, () => undefined) };
  const version = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (version.error || version.status !== 0) return { reason: '`go` is not on PATH (and BENCH_GO_ANCHOR is not set)' };
  const dir = mkdtempSync(join(tmpdir(), 'bench-go-anchor-'));
  const binary = join(dir, 'goloop');
  // Offline and with the local toolchain: the anchor uses the standard library only.
  const env = { ...process.env, GOTOOLCHAIN: 'local', GOPROXY: 'off', CGO_ENABLED: '0' };
  const build = spawnSync('go', ['build', '-o', binary, '.'], { cwd: join(packageRoot(), 'bench', 'go-anchor'), env, encoding: 'utf8' });
  if (build.error || build.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return { reason: `go build failed: ${(build.stderr || String(build.error)).trim()}` };
  }
  return { anchor: anchorAt(binary, `built with ${version.stdout.trim()}`, () => rmSync(dir, { recursive: true, force: true })) };
}

function anchorAt(binary: string, source: string, dispose: () => void): GoAnchor {
  return {
    source,
    dispose,
    run(events: number): Timing {
      const cpuBefore = childrenCpuMs();
      const run = spawnSync(binary, ['-n', String(events)], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
      const cpuAfter = childrenCpuMs();
      // It prints e.g. "go-loop n=200000 banners=false: 1838 ms, 108834 events/s, history=200000".
      const match = /: ([\d.]+) ms, [\d.]+ events\/s, history=(\d+)/.exec(run.stderr ?? '');
      if (run.status !== 0 || !match) throw new BenchRunError(`the Go anchor failed: ${run.stderr || String(run.error)}`);
      if (Number(match[2]) !== events) throw new BenchRunError(`the Go anchor processed ${match[2]} events, expected ${events}`);
      // Its process CPU (start-up included), when the platform tells it.
      const cpuMs = cpuBefore !== undefined && cpuAfter !== undefined ? cpuAfter - cpuBefore : NaN;
      return { wallMs: Number(match[1]), cpuMs };
    },
  };
}
