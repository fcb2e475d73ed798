import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { AgentConfigError, REDACTED } from './configError';
import { AGENT_SETTINGS, CONFIG_FILE_ENV, ENV_PREFIX, LOG_LEVELS, SETTINGS_BY_KEY, envNameOf, type SettingSpec } from './settings';

/**
 * The layers of the agent's configuration, read into raw values: the config file (YAML or
 * JSON), the `CONTIVCTL_*` environment variables, and the conversion of each value by the kind
 * of its setting. config.ts stacks them.
 */

export type Raw = { value: unknown; source: string; baseDir: string };

function describeValue(spec: SettingSpec, value: unknown): string {
  return spec.kind === 'secret' ? REDACTED : JSON.stringify(value);
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

export function readConfigFile(file: string, into: Map<string, Raw>): void {
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

export function readEnv(env: NodeJS.ProcessEnv, cwd: string, into: Map<string, Raw>): void {
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
export function convert(spec: SettingSpec, raw: Raw): unknown {
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

export function readSecretFile(key: string, path: string, source: string): string {
  let token: string;
  try {
    token = readFileSync(path, 'utf8').trim();
  } catch (cause) {
    throw new AgentConfigError(key, source, `cannot read ${path}: ${(cause as Error).message}`, { cause });
  }
  if (token === '') throw new AgentConfigError(key, source, `${path} is empty`);
  return token;
}

