/** Where a command writes: stdout and stderr by default, buffers in tests. */
export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
}

export function defaultIo(): CommandIo {
  return { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) };
}

/** The message of anything thrown (parseArgs throws TypeErrors with a clear text). */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Parsed flags (node:util parseArgs `values`) whose names are built at run time. */
export type FlagValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** A string flag's value (undefined when absent). */
export function stringFlag(values: FlagValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}
