/**
 * Big history reads against the probes: the agent's REST server (in a worker thread, as in its own
 * process) holds a history of 5,000 records of about 1 KB; 50 clients read all of it at once, page
 * after page, again and again, while a prober measures `GET /livez`. The figure is the probe's
 * latency under that load, next to its latency when idle, measured in the same run.
 *
 * `npm run bench` runs it after the controller rows; alone: `node dist/bench/restLoad.js`
 * (BENCH_REST_RECORDS, BENCH_REST_CLIENTS, BENCH_REST_SECONDS change the load).
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import pino from 'pino';
import { CustomUpdateEvent, DBResync, type EventHandler } from '../src/api';
import { createController } from '../src/controller';
import { InMemorySouthbound } from '../src/southbound/memory';
import { ControllerMetrics } from '../src/agent/metrics';
import { MAX_HISTORY_PAGE_SIZE } from '../src/agent/rest/historyQuery';
import { startRestServer } from '../src/agent/rest/server';

export interface LoadSettings {
  records: number;
  clients: number;
  seconds: number;
}

export interface RestLoadResult extends LoadSettings {
  historyBytes: number;
  idle: LatencySummary;
  loaded: LatencySummary;
  /** Whole-history reads completed by the clients during the load. */
  historyReads: number;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

function setting(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
}

/** The server side: a controller with `records` processed events behind a REST server. */
async function serve(records: number): Promise<void> {
  // About 1 KB per record, as the history of a busy node: the change line of one handler.
  const padding = 'x'.repeat(900);
  const handler: EventHandler = {
    name: 'bench',
    handlesEvent: () => true,
    resync: () => undefined,
    update: (event) => `${event.toString()} ${padding}`,
    revert: () => undefined,
  };
  const logger = pino({ level: 'silent' });
  const controller = createController({ handlers: [handler], southbound: new InMemorySouthbound(), logger, config: { eventQueueSize: records + 10 } });
  await controller.start();
  controller.pushEvent(new DBResync({ kubeState: new Map() }));
  let last: CustomUpdateEvent | undefined;
  for (let n = 1; n < records; n++) controller.pushEvent((last = new CustomUpdateEvent({ name: `Bench Update ${n}` })));
  await last?.wait();
  const metrics = new ControllerMetrics({ controller });
  const rest = await startRestServer({ controller, metrics, port: 0, logger });
  parentPort?.postMessage({ url: rest.url });
}

function summarize(samples: number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] ?? NaN };
}

async function probe(url: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${url}/livez`);
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`/livez answered ${response.status}`);
  return performance.now() - started;
}

/** One client's read of the whole history, page after page; resolves with the bytes read. */
async function readHistory(url: string): Promise<number> {
  let bytes = 0;
  let path: string | undefined = `/controller/event-history?limit=${MAX_HISTORY_PAGE_SIZE}`;
  while (path !== undefined) {
    const response: Response = await fetch(`${url}${path}`);
    bytes += (await response.arrayBuffer()).byteLength;
    path = /<([^>]+)>; rel="next"/.exec(response.headers.get('link') ?? '')?.[1];
  }
  return bytes;
}

/** The load side (a worker of its own, so that reading 50 replies does not delay the prober): reads until `seconds` passed. */
async function load(url: string, clients: number, seconds: number): Promise<void> {
  const until = performance.now() + seconds * 1000;
  let historyReads = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < until) {
        await readHistory(url);
        historyReads++;
      }
    }),
  );
  parentPort?.postMessage({ historyReads });
}

function started<T>(worker: Worker): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    worker.once('message', (message: T) => resolve(message));
    worker.once('error', reject);
  });
}

/** Starts the server in a worker, measures the probe idle, then under the load of another worker; stops both. */
/** The load of a bench run: 5,000 records, 50 clients, 5 s, or what the environment says. */
export function restLoadSettings(): LoadSettings {
  return { records: setting('BENCH_REST_RECORDS', 5000), clients: setting('BENCH_REST_CLIENTS', 50), seconds: setting('BENCH_REST_SECONDS', 5) };
}

export async function runRestLoad(settings: LoadSettings = restLoadSettings()): Promise<RestLoadResult> {
  const server = new Worker(__filename, { workerData: { role: 'server', records: settings.records } });
  let loader: Worker | undefined;
  try {
    const { url } = await started<{ url: string }>(server);
    const historyBytes = await readHistory(url);
    for (let n = 0; n < 50; n++) await probe(url); // warm-up
    const idle: number[] = [];
    for (let n = 0; n < 300; n++) idle.push(await probe(url));

    loader = new Worker(__filename, { workerData: { role: 'load', url, clients: settings.clients, seconds: settings.seconds } });
    const loadDone = started<{ historyReads: number }>(loader);
    // The prober starts once the first replies are being read, and stops before the clients do.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const until = performance.now() + (settings.seconds - 1) * 1000;
    const loaded: number[] = [];
    while (performance.now() < until) {
      loaded.push(await probe(url));
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const { historyReads } = await loadDone;
    return { ...settings, historyBytes, idle: summarize(idle), loaded: summarize(loaded), historyReads };
  } finally {
    await loader?.terminate();
    await server.terminate();
  }
}

const ms = (value: number): string => `${value.toFixed(1)} ms`;

/** The figures as a few lines for the terminal. */
export function describeRestLoad(result: RestLoadResult): string {
  return [
    `REST load: ${result.clients} clients reading a ${result.records}-record history (${(result.historyBytes / 1e6).toFixed(1)} MB, pages of ${MAX_HISTORY_PAGE_SIZE}) for ${result.seconds} s: ${result.historyReads} whole-history reads`,
    `  GET /livez idle   (baseline): p50 ${ms(result.idle.p50)}, p99 ${ms(result.idle.p99)}, max ${ms(result.idle.max)} (${result.idle.count} probes)`,
    `  GET /livez loaded           : p50 ${ms(result.loaded.p50)}, p99 ${ms(result.loaded.p99)}, max ${ms(result.loaded.max)} (${result.loaded.count} probes)`,
    `  loaded/idle p99: ${(result.loaded.p99 / result.idle.p99).toFixed(1)}x; target: loaded max under 100 ms -> ${result.loaded.max < 100 ? 'met' : 'MISSED'}`,
  ].join('\n');
}

if (!isMainThread) {
  const role = workerData as { role: 'server'; records: number } | { role: 'load'; url: string; clients: number; seconds: number };
  const work = role.role === 'server' ? serve(role.records) : load(role.url, role.clients, role.seconds);
  work.catch((error: unknown) => {
    throw error;
  });
} else if (require.main === module) {
  runRestLoad().then(
    (result) => console.log(describeRestLoad(result)),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
