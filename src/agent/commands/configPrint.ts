import type { Command } from 'commander';
import { AgentConfigError, explainAgentConfig, type EffectiveSetting } from '../config';
import { CONFIG_FILE_ENV } from '../settings';
import { errorMessage, stringOption, type CommandIo, type OptionValues } from './io';
import { EXIT, type CommandRunner } from './runner';
import { alignedTable } from './textTable';
import { addSettingOptions, settingFlagValues } from './settingOptions';

function shown(value: unknown): string {
  if (value === undefined) return '(unset)';
  if (Array.isArray(value)) return value.length === 0 ? '(none)' : value.join(',');
  return String(value);
}

/** KEY, VALUE, SOURCE columns, one setting per line. */
export function settingsTable(settings: readonly EffectiveSetting[]): string {
  return alignedTable(['KEY', 'VALUE', 'SOURCE'], settings.map((setting) => [setting.key, shown(setting.value), setting.source]));
}

export function registerConfigCommand(program: Command, runner: CommandRunner): Command {
  const config = program.command('config').summary("the agent's configuration").description("Looks at the agent's configuration without starting it.");
  const print = config
    .command('print')
    .summary('print the effective configuration and where each value came from')
    .description(
      'Prints every setting the agent would run with (the same --config, CONTIVCTL_* variables and flags as "contivctl agent"), ' +
        'and where its value came from: default, config file, environment variable or flag. Tokens are redacted. A bad ' +
        'configuration is reported as the agent would report it (exit code 2).',
    )
    .option('--config <file>', `YAML or JSON config file (or ${CONFIG_FILE_ENV}=<file>)`)
    .option('--json', 'one JSON object per setting: {key, value, source}, in an array');
  addSettingOptions(print);
  return runner.action(print, (options) => runConfigPrint(options, runner.io));
}

async function runConfigPrint(options: OptionValues, io: CommandIo): Promise<number> {
  try {
    const { settings } = explainAgentConfig({ file: stringOption(options, 'config'), flags: settingFlagValues(options) });
    io.out(options.json === true ? `${JSON.stringify(settings, null, 2)}\n` : `${settingsTable(settings)}\n`);
    return EXIT.ok;
  } catch (error) {
    io.err(`config print: ${errorMessage(error)}\n`);
    return error instanceof AgentConfigError ? EXIT.usage : EXIT.failed;
  }
}
