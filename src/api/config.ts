import { InvalidConfigError } from './errors';

/** The controller's settings; durations in milliseconds. */
export interface ControllerConfig {
  /** Capacity of the main queue and of the follow-up queue. */
  eventQueueSize: number;
  /** Ask the southbound to retry failed operations. */
  enableRetry: boolean;
  /** First retry delay. */
  delayRetry: number;
  /** Retries per failed operation. */
  maxRetryAttempts: number;
  /** Double the retry delay per attempt. */
  enableExpBackoffRetry: boolean;
  /** Wait for the remote DB before the local-DB fallback resync. */
  delayLocalResync: number;
  /** No DBResync processed by then -> fatal. */
  startupResyncDeadline: number;
  /** Periodic DownstreamResync healing. */
  enablePeriodicHealing: boolean;
  /** Period of the periodic healing, started after the first DBResync. */
  periodicHealingInterval: number;
  /** Delay of the AfterError healing resync. */
  delayAfterErrorHealing: number;
  /** Remote DB probe period. */
  remoteDBProbingInterval: number;
  /** Keep the event history. */
  recordEventHistory: boolean;
  /** Drop history records older than this ... */
  eventHistoryAgeLimit: number;
  /** ... except those of the first part of run time. */
  permanentlyRecordedInitPeriod: number;
  /** How often the history is trimmed (the original: every minute). */
  eventHistoryTrimInterval: number;
  /** Verification mode. */
  enableVerification: boolean;
  /** The history never holds more records: the oldest go first, then those of the init period. */
  eventHistoryMaxRecords: number;
  /** A handler call not settled by then fails with HandlerTimeoutError; 0 = no limit. */
  handlerTimeout: number;
  /** A southbound commit not answered by then counts as the southbound being unavailable; 0 = no limit. */
  commitTimeout: number;
  /** Cap of the doubling retry delay while the southbound is unavailable (it starts at delayAfterErrorHealing). */
  maxHealingBackoff: number;
  /** More failed events than this within failedEventsPeriod is fatal; 0 = off. */
  maxFailedEventsInPeriod: number;
  /** The window of maxFailedEventsInPeriod. */
  failedEventsPeriod: number;
  /** Commit the transactions of consecutive queued best-effort updates as one transaction. */
  coalesceUpdates: boolean;
  /** The most events whose transactions one coalesced commit carries. */
  maxCoalescedEvents: number;
}

export const DEFAULT_CONTROLLER_CONFIG: Readonly<ControllerConfig> = Object.freeze({
  eventQueueSize: 1000,
  enableRetry: true,
  delayRetry: 1000,
  maxRetryAttempts: 3,
  enableExpBackoffRetry: true,
  delayLocalResync: 5000,
  startupResyncDeadline: 30000,
  enablePeriodicHealing: false,
  periodicHealingInterval: 60000,
  delayAfterErrorHealing: 5000,
  remoteDBProbingInterval: 3000,
  recordEventHistory: true,
  eventHistoryAgeLimit: 24 * 60 * 60 * 1000,
  permanentlyRecordedInitPeriod: 60 * 60 * 1000,
  eventHistoryTrimInterval: 60 * 1000,
  enableVerification: false,
  eventHistoryMaxRecords: 10000,
  handlerTimeout: 60000,
  commitTimeout: 120000,
  maxHealingBackoff: 60000,
  maxFailedEventsInPeriod: 0,
  failedEventsPeriod: 60000,
  coalesceUpdates: true,
  maxCoalescedEvents: 256,
});

/** What kind of value a setting takes: durations are milliseconds, counts non-negative integers. */
export type ControllerSettingKind = 'boolean' | 'count' | 'duration';

export const CONTROLLER_SETTING_KINDS: Readonly<Record<keyof ControllerConfig, ControllerSettingKind>> = {
  eventQueueSize: 'count',
  enableRetry: 'boolean',
  delayRetry: 'duration',
  maxRetryAttempts: 'count',
  enableExpBackoffRetry: 'boolean',
  delayLocalResync: 'duration',
  startupResyncDeadline: 'duration',
  enablePeriodicHealing: 'boolean',
  periodicHealingInterval: 'duration',
  delayAfterErrorHealing: 'duration',
  remoteDBProbingInterval: 'duration',
  recordEventHistory: 'boolean',
  eventHistoryAgeLimit: 'duration',
  permanentlyRecordedInitPeriod: 'duration',
  eventHistoryTrimInterval: 'duration',
  enableVerification: 'boolean',
  eventHistoryMaxRecords: 'count',
  handlerTimeout: 'duration',
  commitTimeout: 'duration',
  maxHealingBackoff: 'duration',
  maxFailedEventsInPeriod: 'count',
  failedEventsPeriod: 'duration',
  coalesceUpdates: 'boolean',
  maxCoalescedEvents: 'count',
};

/** The names of every setting, in the order of docs/semantics.md. */
export const CONTROLLER_SETTING_NAMES = Object.keys(CONTROLLER_SETTING_KINDS) as (keyof ControllerConfig)[];

// setTimeout silently turns delays above 2^31-1 ms into 1 ms: reject them instead.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A queue or a history of zero entries could hold nothing at all. */
function minimumCount(key: keyof ControllerConfig): number {
  return key === 'eventQueueSize' || key === 'eventHistoryMaxRecords' || key === 'maxCoalescedEvents' ? 1 : 0;
}

function check(key: keyof ControllerConfig, value: unknown): void {
  switch (CONTROLLER_SETTING_KINDS[key]) {
    case 'boolean':
      if (typeof value !== 'boolean') throw new InvalidConfigError(key, value, 'true or false');
      return;
    case 'count':
      if (!Number.isSafeInteger(value) || (value as number) < minimumCount(key)) {
        throw new InvalidConfigError(key, value, `an integer >= ${minimumCount(key)}`);
      }
      return;
    case 'duration':
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_TIMER_MS) {
        throw new InvalidConfigError(key, value, `milliseconds between 0 and ${MAX_TIMER_MS}`);
      }
      return;
  }
}

/** The defaults overridden by `overrides`; throws `InvalidConfigError` naming the first bad key. */
export function resolveControllerConfig(overrides: Partial<ControllerConfig> = {}): ControllerConfig {
  const resolved: ControllerConfig = { ...DEFAULT_CONTROLLER_CONFIG };
  for (const [key, value] of Object.entries(overrides)) {
    if (!(key in CONTROLLER_SETTING_KINDS)) throw new InvalidConfigError(key, value, `one of ${CONTROLLER_SETTING_NAMES.join(', ')}`);
    if (value === undefined) continue;
    check(key as keyof ControllerConfig, value);
    (resolved as unknown as Record<string, unknown>)[key] = value;
  }
  return resolved;
}
