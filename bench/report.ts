import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../src/packageRoot';
import { BenchRunError } from './errors';

/** One line of a family's table; every figure is already formatted with its unit. */
export interface RowResult {
  name: string;
  /** The median over the repetitions (or the single figure of a one-shot row). */
  figure: string;
  /** The range over the repetitions. */
  range?: string;
  /** The baseline(s) measured in the same run. */
  baseline?: string;
  /** The figure against the baseline(s). */
  ratio?: string;
  /** What the issue asks of the row; absent for a baseline row. */
  target?: string;
  met?: boolean;
}

export interface FamilyResult {
  rows: RowResult[];
  /** Lines printed under the table: samples, what dominates, what was skipped and why. */
  notes: string[];
}

export interface RunSettings {
  /** Repetitions asked for on the command line; each family has its own default otherwise. */
  reps?: number;
  /**
   * The share of the issue's sizes to run: 1 measures what the targets are set for; a smoke run
   * (`--smoke`) takes a small share of every count and duration, only to show that each family
   * still runs end to end (its targets are then not judged).
   */
  scale: number;
  /** Progress lines for the terminal. */
  log(line: string): void;
}

/** `full` (a count or a duration the targets are set for) at the run's scale: at least `min`. */
export function scaled(full: number, settings: RunSettings, min = 1): number {
  return Math.max(min, Math.round(full * settings.scale));
}

/** One family of rows (a module of its own): `--only <name>` selects it. */
export interface Family {
  name: string;
  title: string;
  run(settings: RunSettings): Promise<FamilyResult>;
}

export interface FamilyOutcome {
  family: Family;
  result?: FamilyResult;
  /** The family failed: the run goes on with the others, and the report says so. */
  error?: string;
  seconds: number;
}

const HEADER = ['row', 'median', 'range', 'baseline (same run)', 'ratio', 'target', 'met'];

function cells(row: RowResult): string[] {
  const met = row.met === undefined ? '' : row.met ? 'yes' : 'NO';
  return [row.name, row.figure, row.range ?? '', row.baseline ?? '', row.ratio ?? '', row.target ?? '', met];
}

/** A Markdown table, aligned so it reads as well in the terminal as in the doc. */
export function table(rows: readonly RowResult[]): string {
  const lines = [HEADER, ...rows.map(cells)];
  const widths = HEADER.map((_, column) => Math.max(...lines.map((l) => l[column].length)));
  const line = (values: string[]): string => `| ${values.map((value, i) => value.padEnd(widths[i])).join(' | ')} |`;
  return [line(lines[0]), line(widths.map((w) => '-'.repeat(w))), ...lines.slice(1).map(line)].join('\n');
}

/** A family's section: its table and notes, or why it has none. */
export function section(outcome: FamilyOutcome): string {
  const head = `### ${outcome.family.name}: ${outcome.family.title} (${outcome.seconds.toFixed(0)} s)`;
  if (outcome.error !== undefined || !outcome.result) return `${head}\n\nFAILED: ${outcome.error}`;
  const notes = outcome.result.notes.map((note) => `- ${note}`).join('\n');
  return `${head}\n\n${table(outcome.result.rows)}${notes ? `\n\n${notes}` : ''}`;
}

/** The rows whose target is not met, and the families that failed. */
export function misses(outcomes: readonly FamilyOutcome[]): string[] {
  const lines: string[] = [];
  for (const outcome of outcomes) {
    if (outcome.error !== undefined) lines.push(`${outcome.family.name}: failed (${outcome.error})`);
    for (const row of outcome.result?.rows ?? []) {
      if (row.met !== false) continue;
      const name = row.name.startsWith(`${outcome.family.name}:`) ? row.name : `${outcome.family.name}: ${row.name}`;
      lines.push(`${name}: ${row.figure} (target ${row.target})`);
    }
  }
  return lines;
}

const load = (): string => loadavg().map((n) => n.toFixed(2)).join(' / ');

/** The machine and its load, taken when the run starts. */
export function machineLine(): { started: Date; loadBefore: string } {
  return { started: new Date(), loadBefore: load() };
}

export interface RunInfo {
  started: Date;
  loadBefore: string;
  totalSeconds: number;
  command: string;
}

/** The generated block of docs/benchmarks.md: the run's conditions, then every family's section. */
export function resultsBlock(outcomes: readonly FamilyOutcome[], info: RunInfo): string {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const met = outcomes.flatMap((o) => o.result?.rows ?? []).filter((r) => r.met !== undefined);
  const summary = `${met.filter((r) => r.met).length} of ${met.length} targets met`;
  return [
    `Run of \`${info.command}\`, ${info.started.toISOString()}: ${summary}.`,
    '',
    `- machine: ${cpu} × ${cpus().length}, node ${process.version} (${process.platform} ${process.arch})`,
    `- load average (1 / 5 / 15 min): ${info.loadBefore} at the start, ${load()} at the end (other jobs share the machine)`,
    `- total time: ${info.totalSeconds.toFixed(0)} s`,
    '',
    ...outcomes.map((outcome) => `${section(outcome)}\n`),
  ].join('\n');
}

export const RESULTS_START = '<!-- bench-results:start -->';
export const RESULTS_END = '<!-- bench-results:end -->';

/** Replaces the generated block of docs/benchmarks.md; the text around it is written by hand. */
export function writeResults(block: string): string {
  const path = join(packageRoot(), 'docs', 'benchmarks.md');
  const text = readFileSync(path, 'utf8');
  const start = text.indexOf(RESULTS_START);
  const end = text.indexOf(RESULTS_END);
  if (start < 0 || end < start) throw new BenchRunError(`${path} has no ${RESULTS_START} … ${RESULTS_END} block to replace`);
  writeFileSync(path, `${text.slice(0, start + RESULTS_START.length)}\n${block}\n${text.slice(end)}`);
  return path;
}
