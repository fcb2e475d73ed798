/** One key the watcher cannot give the handlers, as `/controller/state` shows it. */
export interface BadKeyReport {
  /** The store key. */
  readonly key: string;
  /** The revision of the bad value. */
  readonly revision: number;
  /** Why: the key's layout or the value's decoding error. */
  readonly error: string;
  /** The error's class, e.g. ValueDecodeError, KeyLayoutError. */
  readonly errorClass: string;
  /** Whether the handlers keep a last good value of the key (else they do not have the key). */
  readonly keptLastGood: boolean;
}

/** What the agent's metrics and `/controller/state` read. */
export interface BadKeysStatus {
  /** Bad values seen since start (a value is counted once, however many resyncs read it). */
  readonly badValuesTotal: number;
  /** Keys whose current value in the store is bad. */
  readonly current: number;
  /** The first `limit` of them, by key. */
  readonly keys: readonly BadKeyReport[];
}

const MAX_ERROR_LENGTH = 500;

/**
 * The current set of bad keys with their errors, and a counter of bad values. The set holds one
 * entry per key of the store at most; error texts are cut to 500 characters.
 */
export class BadKeys {
  private readonly reports = new Map<string, BadKeyReport>();
  private total = 0;

  /** Records a bad value of `key` at `revision`. */
  report(key: string, revision: number, error: unknown, keptLastGood: boolean): BadKeyReport {
    const previous = this.reports.get(key);
    if (previous?.revision !== revision) this.total++;
    const message = error instanceof Error ? error.message : String(error);
    const report: BadKeyReport = {
      key,
      revision,
      error: message.length > MAX_ERROR_LENGTH ? `${message.slice(0, MAX_ERROR_LENGTH)}...` : message,
      errorClass: error instanceof Error ? error.constructor.name : 'Error',
      keptLastGood,
    };
    this.reports.set(key, report);
    return report;
  }

  /** The key has a good value again, or is gone. */
  clear(key: string): void {
    this.reports.delete(key);
  }

  /** After a resync: only the keys reported by it stay (`keep`). */
  retainOnly(keep: ReadonlySet<string>): void {
    for (const key of this.reports.keys()) if (!keep.has(key)) this.reports.delete(key);
  }

  has(key: string): boolean {
    return this.reports.has(key);
  }

  status(limit = 100): BadKeysStatus {
    // Metrics ask for the counts only (limit 0): no sort at every scrape.
    const keys =
      limit <= 0 ? [] : [...this.reports.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).slice(0, limit);
    return { badValuesTotal: this.total, current: this.reports.size, keys };
  }
}
