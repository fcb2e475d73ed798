import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { resolveControllerConfig, type ControllerConfig } from '../api/config';
import { ControllerError, InvalidConfigError } from '../api/errors';
import {
  AGENT_SETTINGS,
  CONFIG_FILE_ENV,
  DEFAULT_AGENT_LABEL,
  DEFAULT_DATA_DIR,
  DEFAULT_REST_HOST,
  DEFAULT_REST_PORT,
  DEFAULT_SOUTHBOUND_ADDRESS,
  ENV_PREFIX,
  LOG_LEVELS,
  SETTINGS_BY_KEY,
  envNameOf,
  flagNameOf,
  type LogLevel,
  type SettingSpec,
} from './settings';

/** PEM file paths; read when the agent starts. */
export interface TlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
}

/** Everything the agent process runs with. Paths are absolute. */
export interface AgentConfig {
  controller: ControllerConfig;
  etcd: { endpoints: string[]; tls?: TlsFiles };
  dataDir: string;
  agentLabel: string;
  southbound: { address: string; tls?: TlsFiles & { serverName?: string }; token?: string };
  rest: { host: string; port: number; token?: string };
  log: { level: LogLevel; pretty: boolean };
}

/** A setting with a bad value, an unknown key, or an unreadable config file. */
export class AgentConfigError extends ControllerError {
  constructor(
    readonly key: string,
    readonly source: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`invalid agent config: ${key} (${source}): ${problem}`, options);
  }
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

type Raw = { value: unknown; source: string; baseDir: string };

function describeValue(spec: SettingSpec, value: unknown): string {
  return spec.kind === 'secret' ? '<hidden>' : JSON.stringify(value);
}

/** Walks the document; every leaf must be a known setting. */
function flattenFile(document: unknown, file: string, into: Map<string, Raw>): void {
  const baseDir = dirname(file);
  const source = `config file ${file}`;
  const walk = (node: unknown, prefix: string): void => {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) {
      throw new AgentConfigError(prefix || '<root>', source, 'expected a mapping of settings');
    }
    for (const [name, value] of Object.entries(node)) {
      const key = prefix ? `${prefix}.${name}` : name;
      if (SETTINGS_BY_KEY.has(key)) {
        if (value !== null && value !== undefined) into.set(key, { value, source, baseDir });
        continue;
      }
      if (AGENT_SETTINGS.some((s) => s.key.startsWith(`${key}.`))) {
        walk(value, key);
        continue;
      }
      throw new AgentConfigError(key, source, `unknown key (known keys: ${AGENT_SETTINGS.map((s) => s.key).join(', ')})`);
    }
  };
  walk(document ?? {}, '');
}

function readConfigFile(file: string, into: Map<string, Raw>): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new AgentConfigError('config', `file ${file}`, `cannot read it: ${(cause as Error).message}`, { cause });
  }
  let document: unknown;
  try {
    // YAML 1.2 is a superset of JSON: one parser reads both.
    document = parseYaml(text);
  } catch (cause) {
    throw new AgentConfigError('config', `file ${file}`, `not valid YAML or JSON: ${(cause as Error).message}`, { cause });
  }
  flattenFile(document, file, into);
}

function readEnv(env: NodeJS.ProcessEnv, cwd: string, into: Map<string, Raw>): void {
  const byEnvName = new Map(AGENT_SETTINGS.map((s) => [envNameOf(s.key), s]));
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || name === CONFIG_FILE_ENV || value === undefined) continue;
    const spec = byEnvName.get(name);
    // A typo in a variable name would otherwise be silently ignored.
    if (!spec) throw new AgentConfigError(name, 'environment', `unknown variable (known: ${[...byEnvName.keys()].join(', ')})`);
    if (value === '') continue;
    into.set(spec.key, { value, source: `environment variable ${name}`, baseDir: cwd });
  }
}

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);

/** Checks one value: typed values from a file, text from env and flags. */
function convert(spec: SettingSpec, raw: Raw): unknown {
  const { value } = raw;
  const bad = (expected: string): never => {
    throw new AgentConfigError(spec.key, raw.source, `${describeValue(spec, value)} is not valid (expected ${expected})`);
  };
  const text = typeof value === 'string' ? value.trim() : undefined;
  switch (spec.kind) {
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (text !== undefined && TRUE_WORDS.has(text.toLowerCase())) return true;
      if (text !== undefined && FALSE_WORDS.has(text.toLowerCase())) return false;
      return bad('true or false');
    case 'integer':
    case 'duration':
    case 'port': {
      const number = typeof value === 'number' ? value : text !== undefined && /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
      if (Number.isNaN(number)) return bad(spec.kind === 'duration' ? 'milliseconds' : 'an integer');
      if (spec.kind === 'port' && (!Number.isInteger(number) || number < 0 || number > 65535)) return bad('a port 0-65535');
      return number; // the controller's own checks give the range of its settings
    }
    case 'level':
      if (typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value)) return value;
      return bad(`one of ${LOG_LEVELS.join(', ')}`);
    case 'list': {
      const items = Array.isArray(value) ? value : text !== undefined ? text.split(',') : bad('a list or comma-separated text');
      const strings = items.map((item) => (typeof item === 'string' ? item.trim() : bad('a list of strings'))).filter((item) => item !== '');
      return strings;
    }
    case 'path':
      if (text === undefined || text === '') return bad('a path');
      return resolve(raw.baseDir, text);
    case 'string':
    case 'secret':
      if (text === undefined || text === '') return bad('a non-empty string');
      return text;
  }
}

function readSecretFile(key: string, path: string, source: string): string {
  let token: string;
  try {
    token = readFileSync(path, 'utf8').trim();
  } catch (cause) {
    throw new AgentConfigError(key, source, `cannot read ${path}: ${(cause as Error).message}`, { cause });
  }
  if (token === '') throw new AgentConfigError(key, source, `${path} is empty`);
  return token;
}

/**
 * The agent's settings: defaults, overridden by the config file, then by `CONTIVCTL_*`
 * environment variables, then by flags. Throws `AgentConfigError` naming the first bad or unknown
 * key, where it came from, and what was expected.
 */
export function loadAgentConfig(sources: AgentConfigSources = {}): AgentConfig {
  const env = sources.env ?? process.env;
  const cwd = sources.cwd ?? process.cwd();
  const raw = new Map<string, Raw>();
  for (const [key, value] of sources.defaults ?? []) raw.set(key, { value, source: 'defaults', baseDir: cwd });
  const file = sources.file ?? (env[CONFIG_FILE_ENV] || undefined);
  if (file !== undefined) readConfigFile(resolve(cwd, file), raw);
  readEnv(env, cwd, raw);
  for (const [key, value] of sources.flags ?? []) {
    raw.set(key, { value, source: `flag --${flagNameOf(key)}`, baseDir: cwd });
  }

  const values = new Map<string, { value: unknown; source: string }>();
  for (const [key, entry] of raw) {
    const spec = SETTINGS_BY_KEY.get(key);
    if (!spec) throw new AgentConfigError(key, entry.source, 'unknown setting');
    values.set(key, { value: convert(spec, entry), source: entry.source });
  }
  const get = <T>(key: string): T | undefined => values.get(key)?.value as T | undefined;

  const controllerOverrides: Record<string, unknown> = {};
  for (const [key, { value }] of values) if (key.startsWith('controller.')) controllerOverrides[key.slice('controller.'.length)] = value;
  let controller: ControllerConfig;
  try {
    controller = resolveControllerConfig(controllerOverrides as Partial<ControllerConfig>);
  } catch (error) {
    if (!(error instanceof InvalidConfigError)) throw error;
    const key = `controller.${error.key}`;
    throw new AgentConfigError(key, values.get(key)?.source ?? 'defaults', error.message.replace(/^invalid controller setting "[^"]+": /, ''), { cause: error });
  }

  const tlsOf = (prefix: string): TlsFiles | undefined => {
    const tls: TlsFiles = { ca: get(`${prefix}.tls.ca`), cert: get(`${prefix}.tls.cert`), key: get(`${prefix}.tls.key`) };
    if (!tls.ca && !tls.cert && !tls.key) return undefined;
    if (!!tls.cert !== !!tls.key) throw new AgentConfigError(`${prefix}.tls.${tls.cert ? 'key' : 'cert'}`, values.get(`${prefix}.tls.${tls.cert ? 'cert' : 'key'}`)?.source ?? '', 'a client certificate needs both cert and key');
    return tls;
  };
  const tokenOf = (prefix: string): string | undefined => {
    const file = values.get(`${prefix}.tokenFile`);
    if (file && values.has(`${prefix}.token`)) throw new AgentConfigError(`${prefix}.tokenFile`, file.source, `give either ${prefix}.token or ${prefix}.tokenFile, not both`);
    return file ? readSecretFile(`${prefix}.tokenFile`, file.value as string, file.source) : get<string>(`${prefix}.token`);
  };

  const etcdTls = tlsOf('etcd');
  // etcd3 takes TLS only with a CA (it has no "system roots" mode).
  if (etcdTls && !etcdTls.ca) throw new AgentConfigError('etcd.tls.ca', 'defaults', 'TLS to etcd needs the CA of its certificate');
  const southboundTls = tlsOf('southbound');
  const serverName = get<string>('southbound.tls.serverName');
  return {
    controller,
    etcd: { endpoints: get<string[]>('etcd.endpoints') ?? [], tls: etcdTls },
    dataDir: get<string>('dataDir') ?? resolve(cwd, DEFAULT_DATA_DIR),
    agentLabel: get<string>('agentLabel') ?? DEFAULT_AGENT_LABEL,
    southbound: {
      address: get<string>('southbound.address') ?? DEFAULT_SOUTHBOUND_ADDRESS,
      tls: southboundTls || serverName ? { ...southboundTls, serverName } : undefined,
      token: tokenOf('southbound'),
    },
    rest: { host: get<string>('rest.host') ?? DEFAULT_REST_HOST, port: get<number>('rest.port') ?? DEFAULT_REST_PORT, token: tokenOf('rest') },
    log: { level: get<LogLevel>('log.level') ?? 'info', pretty: get<boolean>('log.pretty') ?? false },
  };
}
