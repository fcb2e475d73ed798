import { CONTROLLER_SETTING_KINDS, CONTROLLER_SETTING_NAMES, DEFAULT_CONTROLLER_CONFIG } from '../api/config';

/**
 * Every setting of the agent, in one table: the config file key (a dotted path into the YAML or
 * JSON document), the environment variable and the command-line flag are all derived from it, so
 * the three can never drift apart, and docs/operations.md lists exactly these rows.
 */

/** How a setting's text (from an environment variable or a flag) is read and checked. */
export type SettingKind =
  | 'boolean' // true/false (also 1/0, yes/no in text)
  | 'integer' // a controller count
  | 'duration' // milliseconds
  | 'string'
  | 'secret' // a string never echoed in errors, logs or `config print`
  | 'path' // a file or directory; relative paths in a config file are relative to that file
  | 'list' // comma-separated in text, a list in a file
  | 'port'
  | 'level';

export interface SettingSpec {
  /** Dotted path in the config file, e.g. `controller.delayRetry`. */
  key: string;
  kind: SettingKind;
  /** Shown in --help and in the docs. */
  description: string;
  /** Default, as shown in --help and the docs (absent: unset). */
  defaultText?: string;
  /** Extra flag names, e.g. `--pretty` for `--log-pretty`. */
  aliases?: string[];
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const ENV_PREFIX = 'CONTIVCTL_';
/** The environment variable naming the config file (besides `--config`). */
export const CONFIG_FILE_ENV = `${ENV_PREFIX}CONFIG`;

const CONTROLLER_DESCRIPTIONS: Record<(typeof CONTROLLER_SETTING_NAMES)[number], string> = {
  eventQueueSize: 'capacity of the main queue and of the follow-up queue',
  enableRetry: 'ask the southbound to retry failed operations',
  delayRetry: 'first retry delay (ms)',
  maxRetryAttempts: 'retries per failed operation',
  enableExpBackoffRetry: 'double the retry delay per attempt',
  delayLocalResync: 'wait for the remote DB before the local-DB fallback resync (ms)',
  startupResyncDeadline: 'no DBResync by then -> fatal (ms)',
  enablePeriodicHealing: 'periodic DownstreamResync healing',
  periodicHealingInterval: 'period of the periodic healing (ms)',
  delayAfterErrorHealing: 'delay of the AfterError healing resync (ms)',
  remoteDBProbingInterval: 'remote DB probe period (ms)',
  recordEventHistory: 'keep the event history',
  eventHistoryAgeLimit: 'drop history records older than this (ms) ...',
  permanentlyRecordedInitPeriod: '... except those of the first part of run time (ms)',
  eventHistoryTrimInterval: 'how often the history is trimmed (ms)',
  enableVerification: 'verification mode',
  eventHistoryMaxRecords: 'the event history never holds more records',
  handlerTimeout: 'a handler call not settled by then fails with HandlerTimeoutError (ms, 0 = none)',
  commitTimeout: 'a southbound commit not answered by then counts as an outage (ms, 0 = none)',
  maxHealingBackoff: 'cap of the retry delay while the southbound is unavailable (ms)',
  maxFailedEventsInPeriod: 'more failed events than this within failedEventsPeriod is fatal (0 = off)',
  failedEventsPeriod: 'the window of maxFailedEventsInPeriod (ms)',
  coalesceUpdates: 'commit the transactions of queued best-effort updates as one transaction',
  maxCoalescedEvents: 'the most events one coalesced commit carries',
};

function controllerSettings(): SettingSpec[] {
  return CONTROLLER_SETTING_NAMES.map((name) => {
    const value = DEFAULT_CONTROLLER_CONFIG[name];
    const settingKind = CONTROLLER_SETTING_KINDS[name];
    const kind: SettingKind = settingKind === 'count' ? 'integer' : settingKind;
    return { key: `controller.${name}`, kind, description: CONTROLLER_DESCRIPTIONS[name], defaultText: String(value) };
  });
}

export const DEFAULT_DATA_DIR = 'contivctl-data';
export const DEFAULT_AGENT_LABEL = 'vpp1';
export const DEFAULT_SOUTHBOUND_ADDRESS = '127.0.0.1:9111';
export const DEFAULT_REST_HOST = '127.0.0.1';
export const DEFAULT_REST_PORT = 9191;
/** Below Kubernetes' default grace period (30 s), so the agent says what held it before a SIGKILL. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 20000;

export const AGENT_SETTINGS: readonly SettingSpec[] = [
  ...controllerSettings(),
  { key: 'etcd.endpoints', kind: 'list', description: 'etcd endpoints (host:port or URLs); none = standalone on the embedded store', aliases: ['etcd'] },
  { key: 'etcd.tls.ca', kind: 'path', description: 'PEM CA of the etcd server certificate (enables TLS)' },
  { key: 'etcd.tls.cert', kind: 'path', description: 'PEM client certificate for etcd' },
  { key: 'etcd.tls.key', kind: 'path', description: 'PEM client key for etcd' },
  { key: 'dataDir', kind: 'path', description: 'local DB directory (the embedded store, or the mirror of etcd)', defaultText: DEFAULT_DATA_DIR },
  { key: 'agentLabel', kind: 'string', description: 'agent label: external config is read under /vnf-agent/<label>/', defaultText: DEFAULT_AGENT_LABEL },
  { key: 'southbound.address', kind: 'string', description: 'host:port of the southbound KV scheduler', defaultText: DEFAULT_SOUTHBOUND_ADDRESS, aliases: ['southbound'] },
  { key: 'southbound.tls.ca', kind: 'path', description: 'PEM CA of the southbound server certificate (enables TLS)' },
  { key: 'southbound.tls.cert', kind: 'path', description: 'PEM client certificate (mutual TLS)' },
  { key: 'southbound.tls.key', kind: 'path', description: 'PEM client key (mutual TLS)' },
  { key: 'southbound.tls.serverName', kind: 'string', description: 'expected name in the southbound certificate' },
  { key: 'southbound.token', kind: 'secret', description: 'bearer token sent to the southbound' },
  { key: 'southbound.tokenFile', kind: 'path', description: 'file holding the southbound bearer token' },
  { key: 'rest.host', kind: 'string', description: 'REST API address', defaultText: DEFAULT_REST_HOST },
  { key: 'rest.port', kind: 'port', description: 'REST API port (0 = any free port)', defaultText: String(DEFAULT_REST_PORT) },
  { key: 'rest.token', kind: 'secret', description: 'bearer token protecting the POST routes' },
  { key: 'rest.tokenFile', kind: 'path', description: 'file holding the REST bearer token' },
  {
    key: 'rest.insecureNoAuth',
    kind: 'boolean',
    description: 'allow a non-loopback rest.host without a token (anyone who reaches it can POST a resync)',
    defaultText: 'false',
    aliases: ['insecure-no-auth'],
  },
  { key: 'log.level', kind: 'level', description: `log level (${LOG_LEVELS.join(', ')})`, defaultText: 'info' },
  { key: 'log.pretty', kind: 'boolean', description: 'human-readable logs with NEW EVENT / FINALIZED EVENT banners', defaultText: 'false', aliases: ['pretty'] },
  {
    key: 'shutdownTimeout',
    kind: 'duration',
    description: 'grace period of a stop: beyond it the agent exits with code 1, naming the handler that held it (ms)',
    defaultText: String(DEFAULT_SHUTDOWN_TIMEOUT_MS),
  },
];

/** `remoteDBProbingInterval` -> `remote DB Probing Interval` as words (acronyms kept whole). */
function words(segment: string): string[] {
  return segment.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2').split(' ');
}

function snake(segment: string): string {
  return words(segment).join('_').toUpperCase();
}

function kebab(segment: string): string {
  return words(segment).join('-').toLowerCase();
}

/** `controller.delayRetry` -> `CONTIVCTL_CONTROLLER_DELAY_RETRY`. */
export function envNameOf(key: string): string {
  return ENV_PREFIX + key.split('.').map(snake).join('_');
}

/** `controller.delayRetry` -> `controller-delay-retry` (the flag without its dashes). */
export function flagNameOf(key: string): string {
  return key.split('.').map(kebab).join('-');
}

export const SETTINGS_BY_KEY: ReadonlyMap<string, SettingSpec> = new Map(AGENT_SETTINGS.map((s) => [s.key, s]));
