import type { Command, Help, HelpConfiguration, Option } from 'commander';
import { NEGATABLE_OPTIONS } from '../agent/commands/settingOptions';

/** Columns of help when stdout is not a terminal (a pager, a file, a test). */
export const NON_TTY_HELP_WIDTH = 100;
/** Terms (flags) wider than this get their description on the next line instead of a wide column. */
const TERM_COLUMN = 34;

/** The help width: the terminal's columns, else 100. */
export function helpWidth(stream: { isTTY?: boolean; columns?: number } = process.stdout): number {
  return stream.isTTY && stream.columns ? stream.columns : NON_TTY_HELP_WIDTH;
}

/**
 * commander's help, wrapped to `width`: descriptions in a column after the flags, except after a
 * flag too long for the column (`--controller-permanently-recorded-init-period <ms>`), whose
 * description goes on the next lines. Without this, one long flag pushes every description to
 * the right and commander stops wrapping (lines of 180 columns).
 */
export function helpConfiguration(width: number): HelpConfiguration {
  return {
    helpWidth: width,
    minWidthToWrap: 20,
    optionTerm(option: Option): string {
      return NEGATABLE_OPTIONS.has(option) ? option.flags.replace(/^--/, '--[no-]') : option.flags;
    },
    padWidth(this: Help, command: Command, helper: Help): number {
      const widest = Math.max(
        helper.longestOptionTermLength(command, helper),
        helper.longestSubcommandTermLength(command, helper),
        helper.longestArgumentTermLength(command, helper),
      );
      return Math.min(widest, TERM_COLUMN);
    },
    formatItem(this: Help, term: string, termWidth: number, description: string, helper: Help): string {
      const indent = '  ';
      if (!description) return indent + term;
      const column = termWidth + 2;
      const wrapped = helper.boxWrap(description, Math.max(20, width - column - indent.length));
      const continued = wrapped.replace(/\n/g, `\n${indent}${' '.repeat(column)}`);
      if (helper.displayWidth(term) <= termWidth) return `${indent}${term.padEnd(termWidth)}  ${continued}`;
      return `${indent}${term}\n${indent}${' '.repeat(column)}${continued}`;
    },
  };
}
