import type { ParseArgsConfig } from 'node:util';
import { AGENT_SETTINGS, envNameOf, flagNameOf } from '../settings';

/**
 * The flags of the agent settings (one per row of the settings table, e.g.
 * `--controller-delay-retry 500`, `--etcd-endpoints a,b`), shared by `agent` and `demo`.
 */

type ParseArgsOptions = NonNullable<ParseArgsConfig['options']>;

/** parseArgs options for every setting (booleans take a value too, except `--pretty`). */
export function settingFlagOptions(): ParseArgsOptions {
  const options: ParseArgsOptions = {};
  for (const spec of AGENT_SETTINGS) {
    options[flagNameOf(spec.key)] = { type: spec.key === 'log.pretty' ? 'boolean' : 'string' };
    for (const alias of spec.aliases ?? []) options[alias] = { type: spec.key === 'log.pretty' ? 'boolean' : 'string' };
  }
  return options;
}

/** The setting values among parsed flags, by setting key; a flag beats its alias. */
export function settingFlagValues(values: Readonly<Record<string, unknown>>): Map<string, string | boolean> {
  const flags = new Map<string, string | boolean>();
  for (const spec of AGENT_SETTINGS) {
    for (const name of [...(spec.aliases ?? []), flagNameOf(spec.key)]) {
      const value = values[name];
      if (typeof value === 'string' || typeof value === 'boolean') flags.set(spec.key, value);
    }
  }
  return flags;
}

/** The help text's table of settings: flag, environment variable, default, meaning. */
export function settingsHelp(): string {
  return AGENT_SETTINGS.map((spec) => {
    const flag = `--${flagNameOf(spec.key)}${spec.key === 'log.pretty' ? '' : ' <v>'}${(spec.aliases ?? []).map((a) => `, --${a}`).join('')}`;
    const meaning = `${spec.description}${spec.defaultText !== undefined ? ` [${spec.defaultText}]` : ''}`;
    return `  ${flag.padEnd(46)} ${envNameOf(spec.key).padEnd(50)} ${meaning}`;
  }).join('\n');
}
