/**
 * Family `rest`: big history reads against the agent's `GET /livez` (bench/restLoad.ts): the
 * probe's latency while 50 clients read a 5,000-record history page after page, beside its
 * latency when idle, measured in the same run.
 */
import { scaled, type Family, type FamilyResult, type RunSettings } from './report';
import { restLoadSettings, runRestLoad } from './restLoad';
import { ms, ratio, thousands } from './stats';

const TARGET_MAX_MS = 100;

async function run(settings: RunSettings): Promise<FamilyResult> {
  const full = restLoadSettings();
  // The prober runs from the load's first half second to its last second: two at the least.
  const result = await runRestLoad({ records: scaled(full.records, settings), clients: scaled(full.clients, settings), seconds: scaled(full.seconds, settings, 2) });
  settings.log('rest: done');
  const fmt = (value: number): string => ms(value, 1);
  const row = (name: string, idle: number, loaded: number) => ({ name: `GET /livez under load, ${name}`, figure: fmt(loaded), baseline: `idle ${fmt(idle)}`, ratio: ratio(loaded / idle) });
  return {
    rows: [
      row('p50', result.idle.p50, result.loaded.p50),
      row('p99', result.idle.p99, result.loaded.p99),
      { ...row('max', result.idle.max, result.loaded.max), target: `< ${fmt(TARGET_MAX_MS)}`, met: result.loaded.max < TARGET_MAX_MS },
    ],
    notes: [
      `${result.clients} clients reading a ${thousands(result.records)}-record history (${(result.historyBytes / 1e6).toFixed(1)} MB) for ${result.seconds} s: ${thousands(result.historyReads)} whole-history reads; ${result.loaded.count} probes under load, ${result.idle.count} idle. One run (BENCH_REST_RECORDS, BENCH_REST_CLIENTS, BENCH_REST_SECONDS change the load).`,
    ],
  };
}

export const restFamily: Family = { name: 'rest', title: 'the REST API under big history reads', run };
