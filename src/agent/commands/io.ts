/** Where a command writes: stdout and stderr by default, buffers in tests. */
export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
}

export function defaultIo(): CommandIo {
  return { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) };
}

/** The message of anything thrown. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Parsed options of a command (commander's `opts()`), by attribute name (`--history-out` -> `historyOut`). */
export type OptionValues = Record<string, unknown>;

/** A string option's value (undefined when absent). */
export function stringOption(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}
