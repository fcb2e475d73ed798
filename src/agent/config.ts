import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { resolveControllerConfig, type ControllerConfig } from '../api/config';
import { InvalidConfigError } from '../api/errors';
import { agentPrefix } from '../dbwatcher/keys';
import { AgentConfigError, REDACTED } from './configError';
import { convert, readConfigFile, readEnv, readSecretFile, type Raw } from './configLayers';
import {
  AGENT_SETTINGS,
  CONFIG_FILE_ENV,
  DEFAULT_AGENT_LABEL,
  DEFAULT_DATA_DIR,
  DEFAULT_REST_HOST,
  DEFAULT_REST_PORT,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  DEFAULT_SOUTHBOUND_ADDRESS,
  SETTINGS_BY_KEY,
  flagNameOf,
  type LogLevel,
} from './settings';
import { loadTlsMaterial, TlsFileError, type TlsFiles } from '../tlsFiles';

export { AgentConfigError, REDACTED };
export type { TlsFiles };

/** Everything the agent process runs with. Paths are absolute. */
export interface AgentConfig {
  controller: ControllerConfig;
  etcd: { endpoints: string[]; tls?: TlsFiles };
  dataDir: string;
  agentLabel: string;
  southbound: { address: string; tls?: TlsFiles & { serverName?: string }; token?: string };
  rest: { host: string; port: number; token?: string; insecureNoAuth: boolean };
  log: { level: LogLevel; pretty: boolean };
  /** Grace period of a stop (ms): beyond it the agent exits with code 1, naming what held it. */
  shutdownTimeout: number;
}

/** Where the settings come from; later layers override earlier ones. */
export interface AgentConfigSources {
  /** The config file (YAML or JSON); else $CONTIVCTL_CONFIG. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Parsed flags by setting key (`controller.delayRetry` -> '500'), text as typed. */
  flags?: ReadonlyMap<string, string | boolean>;
  /** Base of relative paths given by env or flags (default: the working directory). */
  cwd?: string;
  /** Defaults of the caller's own (e.g. the demo's), below every other layer. */
  defaults?: ReadonlyMap<string, string | boolean>;
}

/** One setting as the agent runs with it, and where its value came from (`config print`). */
export interface EffectiveSetting {
  key: string;
  /** The value as configured; secrets are `<redacted>`; undefined when unset. */
  value: unknown;
  /** `default`, `config file <path>`, `environment variable <NAME>`, `flag --<name>`, or the caller's `command default`. */
  source: string;
}

type Resolved = Map<string, { value: unknown; source: string }>;

/** Every layer read and every value checked by its kind; later layers override earlier ones. */
function resolveValues(sources: AgentConfigSources): { values: Resolved; cwd: string } {
  const env = sources.env ?? process.env;
  const cwd = sources.cwd ?? process.cwd();
  const raw = new Map<string, Raw>();
  for (const [key, value] of sources.defaults ?? []) raw.set(key, { value, source: 'command default', baseDir: cwd });
  const file = sources.file ?? (env[CONFIG_FILE_ENV] || undefined);
  if (file !== undefined) readConfigFile(resolve(cwd, file), raw);
  readEnv(env, cwd, raw);
  for (const [key, value] of sources.flags ?? []) {
    raw.set(key, { value, source: `flag --${flagNameOf(key)}`, baseDir: cwd });
  }
  const values: Resolved = new Map();
  for (const [key, entry] of raw) {
    const spec = SETTINGS_BY_KEY.get(key);
    if (!spec) throw new AgentConfigError(key, entry.source, 'unknown setting');
    values.set(key, { value: convert(spec, entry), source: entry.source });
  }
  return { values, cwd };
}

function sourceOf(values: Resolved, key: string): string {
  return values.get(key)?.source ?? 'default';
}

/** The TLS files of `etcd` or `southbound`: both halves of a client certificate, each file readable and parseable. */
function tlsOf(values: Resolved, prefix: 'etcd' | 'southbound'): TlsFiles | undefined {
  const get = (field: keyof TlsFiles): string | undefined => values.get(`${prefix}.tls.${field}`)?.value as string | undefined;
  const tls: TlsFiles = { ca: get('ca'), cert: get('cert'), key: get('key') };
  if (!tls.ca && !tls.cert && !tls.key) return undefined;
  if (!!tls.cert !== !!tls.key) {
    throw new AgentConfigError(`${prefix}.tls.${tls.cert ? 'key' : 'cert'}`, sourceOf(values, `${prefix}.tls.${tls.cert ? 'cert' : 'key'}`), 'a client certificate needs both cert and key');
  }
  // etcd3 takes TLS only with a CA (it has no "system roots" mode).
  if (prefix === 'etcd' && !tls.ca) throw new AgentConfigError('etcd.tls.ca', 'default', 'TLS to etcd needs the CA of its certificate');
  try {
    loadTlsMaterial(tls);
  } catch (error) {
    if (!(error instanceof TlsFileError)) throw error;
    const key = `${prefix}.tls.${error.field}`;
    throw new AgentConfigError(key, sourceOf(values, key), error.message, { cause: error });
  }
  return tls;
}

function tokenOf(values: Resolved, prefix: 'rest' | 'southbound'): string | undefined {
  const file = values.get(`${prefix}.tokenFile`);
  if (file && values.has(`${prefix}.token`)) throw new AgentConfigError(`${prefix}.tokenFile`, file.source, `give either ${prefix}.token or ${prefix}.tokenFile, not both`);
  return file ? readSecretFile(`${prefix}.tokenFile`, file.value as string, file.source) : (values.get(`${prefix}.token`)?.value as string | undefined);
}

function controllerOf(values: Resolved): ControllerConfig {
  const overrides: Record<string, unknown> = {};
  for (const [key, { value }] of values) if (key.startsWith('controller.')) overrides[key.slice('controller.'.length)] = value;
  try {
    return resolveControllerConfig(overrides as Partial<ControllerConfig>);
  } catch (error) {
    if (!(error instanceof InvalidConfigError)) throw error;
    const key = `controller.${error.key}`;
    throw new AgentConfigError(key, sourceOf(values, key), error.message.replace(/^invalid controller setting "[^"]+": /, ''), { cause: error });
  }
}

function checkAgentLabel(label: string, source: string): string {
  try {
    agentPrefix(label); // the DB watcher's own rule for the key layout
  } catch (cause) {
    throw new AgentConfigError('agentLabel', source, `${JSON.stringify(label)} cannot be used: ${(cause as Error).message}`, { cause });
  }
  return label;
}

/** The data directory may not exist yet (it is created), but must not be a file. */
function checkDataDir(path: string, source: string): string {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch {
    return path;
  }
  if (!isDirectory) throw new AgentConfigError('dataDir', source, `${path} exists and is not a directory`);
  return path;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function buildConfig(values: Resolved, cwd: string): AgentConfig {
  const get = <T>(key: string): T | undefined => values.get(key)?.value as T | undefined;
  const etcdTls = tlsOf(values, 'etcd');
  const southboundTls = tlsOf(values, 'southbound');
  const serverName = get<string>('southbound.tls.serverName');
  const rest = {
    host: get<string>('rest.host') ?? DEFAULT_REST_HOST,
    port: get<number>('rest.port') ?? DEFAULT_REST_PORT,
    token: tokenOf(values, 'rest'),
    insecureNoAuth: get<boolean>('rest.insecureNoAuth') ?? false,
  };
  // An open POST /controller/resync on the network, by accident, is worse than a refusal to start.
  if (!isLoopback(rest.host) && rest.token === undefined && !rest.insecureNoAuth) {
    throw new AgentConfigError(
      'rest.host',
      sourceOf(values, 'rest.host'),
      `${rest.host} is not a loopback address and no rest.token is set: anyone who reaches it could POST /controller/resync; set rest.tokenFile (or rest.token), or pass --insecure-no-auth`,
    );
  }
  return {
    controller: controllerOf(values),
    etcd: { endpoints: get<string[]>('etcd.endpoints') ?? [], tls: etcdTls },
    dataDir: checkDataDir(get<string>('dataDir') ?? resolve(cwd, DEFAULT_DATA_DIR), sourceOf(values, 'dataDir')),
    agentLabel: checkAgentLabel(get<string>('agentLabel') ?? DEFAULT_AGENT_LABEL, sourceOf(values, 'agentLabel')),
    southbound: {
      address: get<string>('southbound.address') ?? DEFAULT_SOUTHBOUND_ADDRESS,
      tls: southboundTls || serverName ? { ...southboundTls, serverName } : undefined,
      token: tokenOf(values, 'southbound'),
    },
    rest,
    log: { level: get<LogLevel>('log.level') ?? 'info', pretty: get<boolean>('log.pretty') ?? false },
    shutdownTimeout: get<number>('shutdownTimeout') ?? DEFAULT_SHUTDOWN_TIMEOUT_MS,
  };
}

/**
 * The agent's settings: defaults, overridden by the config file, then by `CONTIVCTL_*`
 * environment variables, then by flags. Throws `AgentConfigError` naming the first bad or unknown
 * key, where it came from, and what was expected. TLS files are read and checked here, so that a
 * bad certificate stops the agent before anything listens or connects.
 */
export function loadAgentConfig(sources: AgentConfigSources = {}): AgentConfig {
  const { values, cwd } = resolveValues(sources);
  return buildConfig(values, cwd);
}

/**
 * Every setting with the value the agent would run with and where it came from, secrets
 * redacted (`contivctl config print`). Throws like loadAgentConfig for a bad configuration.
 */
export function explainAgentConfig(sources: AgentConfigSources = {}): { config: AgentConfig; settings: EffectiveSetting[] } {
  const { values, cwd } = resolveValues(sources);
  const config = buildConfig(values, cwd);
  const settings = AGENT_SETTINGS.map((spec): EffectiveSetting => {
    const given = values.get(spec.key);
    if (!given) return { key: spec.key, value: spec.key === 'dataDir' ? config.dataDir : spec.defaultText, source: 'default' };
    return { key: spec.key, value: spec.kind === 'secret' ? REDACTED : given.value, source: given.source };
  });
  return { config, settings };
}
