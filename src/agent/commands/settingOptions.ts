import { Option, type Command } from 'commander';
import { AGENT_SETTINGS, envNameOf, flagNameOf, type SettingSpec } from '../settings';
import type { OptionValues } from './io';

/**
 * The options of the agent settings (one per row of the settings table, e.g.
 * `--controller-delay-retry 500`, `--etcd-endpoints a,b`, `--pretty` / `--no-pretty`), shared by
 * `agent`, `demo` and `config print`.
 */

export const SETTINGS_HELP_GROUP = 'Settings (a flag beats its environment variable, which beats the config file):';

const PLACEHOLDERS: Record<SettingSpec['kind'], string> = {
  boolean: '',
  integer: '<n>',
  duration: '<ms>',
  string: '<text>',
  secret: '<token>',
  path: '<path>',
  list: '<a,b>',
  port: '<port>',
  level: '<level>',
};

/** Boolean options that also have a hidden `--no-` form: the help shows them as `--[no-]flag`. */
export const NEGATABLE_OPTIONS = new WeakSet<Option>();

/** commander's attribute name of a flag: `controller-delay-retry` -> `controllerDelayRetry`. */
function attributeOf(flag: string): string {
  return new Option(`--${flag}`).attributeName();
}

function describe(spec: SettingSpec): string {
  const aliases = (spec.aliases ?? []).map((alias) => `--${spec.kind === 'boolean' ? '[no-]' : ''}${alias}`);
  const parts = [spec.description];
  if (aliases.length > 0) parts.push(`(also ${aliases.join(', ')})`);
  parts.push(`[${envNameOf(spec.key)}${spec.defaultText !== undefined ? `, default ${spec.defaultText}` : ''}]`);
  return parts.join(' ');
}

/** Adds an option per setting; booleans are flags with a `--no-` form. */
export function addSettingOptions(command: Command): Command {
  for (const spec of AGENT_SETTINGS) {
    const flag = flagNameOf(spec.key);
    if (spec.kind === 'boolean') {
      const option = new Option(`--${flag}`, describe(spec)).helpGroup(SETTINGS_HELP_GROUP);
      NEGATABLE_OPTIONS.add(option);
      command.addOption(option);
      command.addOption(new Option(`--no-${flag}`).hideHelp());
    } else {
      command.addOption(new Option(`--${flag} ${PLACEHOLDERS[spec.kind]}`, describe(spec)).helpGroup(SETTINGS_HELP_GROUP));
    }
    for (const alias of spec.aliases ?? []) {
      command.addOption(new Option(`--${alias}${spec.kind === 'boolean' ? '' : ` ${PLACEHOLDERS[spec.kind]}`}`).hideHelp());
      if (spec.kind === 'boolean') command.addOption(new Option(`--no-${alias}`).hideHelp());
    }
  }
  return command;
}

/** The setting values among parsed options, by setting key; a flag beats its alias. */
export function settingFlagValues(values: OptionValues): Map<string, string | boolean> {
  const flags = new Map<string, string | boolean>();
  for (const spec of AGENT_SETTINGS) {
    for (const name of [...(spec.aliases ?? []), flagNameOf(spec.key)]) {
      const value = values[attributeOf(name)];
      if (typeof value === 'string' || typeof value === 'boolean') flags.set(spec.key, value);
    }
  }
  return flags;
}
