import type { Command } from 'commander';
import type { CommandIo } from './io';

/** The exit codes of contivctl (docs/operations.md). */
export const EXIT = Object.freeze({
  ok: 0,
  /** Failed at run time: a taken port, a refused request, a stop that did not finish. */
  failed: 1,
  /** Bad usage or configuration: fix the command line, the config file or the environment. */
  usage: 2,
  /** The controller became fatal: restart the agent. */
  fatal: 3,
  /** A stop forced by a second signal (128 + SIGINT). */
  forced: 130,
});

/** How a command module hooks its action into the command line. */
export interface CommandRunner {
  readonly io: CommandIo;
  /**
   * Sets `run` as the command's action: its resolved number is the exit code. `exitWhenDone`:
   * a long-running command (agent, demo) must never linger as a process after it stopped, even if
   * a library left a handle open.
   */
  action(command: Command, run: (options: Record<string, unknown>, command: Command) => Promise<number>, settings?: { exitWhenDone?: boolean }): Command;
}
