import * as prom from 'prom-client';
import type { DbWatcherStatus } from '../dbwatcher/dbWatcher';

/** Anything that reports the DB watcher's status (the DbWatcher). */
export interface DbWatcherStatusSource {
  status(badKeysListed?: number): DbWatcherStatus;
}

/**
 * The DB watcher's metrics, read from its status at scrape time: whether the DB (etcd, or the
 * embedded store) answers, bad values it refused (the handlers keep the last good value), the
 * keys whose current value is bad, and failed writes to the local mirror (a cache: they are
 * repaired, never fatal).
 */
export function registerDbWatcherMetrics(registers: prom.Registry[], prefix: string, source: DbWatcherStatusSource): void {
  new prom.Gauge({
    name: `${prefix}db_connected`,
    help: '1 while the DB (etcd, or the embedded store) answers the watcher\'s probes, 0 while it is unreachable.',
    registers,
    collect() {
      this.set(source.status(0).connected ? 1 : 0);
    },
  });
  new prom.Counter({
    name: `${prefix}db_bad_values_total`,
    help: 'Values from the DB the watcher refused (undecodable, off the key layout); the handlers keep the last good value.',
    registers,
    collect() {
      this.reset();
      this.inc(source.status(0).badKeys.badValuesTotal);
    },
  });
  new prom.Gauge({
    name: `${prefix}db_bad_keys`,
    help: 'Keys whose current value in the DB is bad (listed in /controller/state).',
    registers,
    collect() {
      this.set(source.status(0).badKeys.current);
    },
  });
  new prom.Counter({
    name: `${prefix}db_local_mirror_write_failures_total`,
    help: 'Writes to the local DB mirror that failed (e.g. a full disk); the mirror is rewritten from the remote DB later.',
    registers,
    collect() {
      this.reset();
      this.inc(source.status(0).localMirror?.writeFailures ?? 0);
    },
  });
}
