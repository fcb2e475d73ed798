import type { EventRecord } from '../../src';
import type { Controller } from '../../src/controller';
import { ScenarioError } from './errors';

/** Polls until `condition` holds; throws naming `what` after `limitMs`. */
export async function waitUntil(condition: () => boolean, what: string, limitMs = 30_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new ScenarioError(`scenario: timed out after ${limitMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The kube key a KubeStateChange record is about (from its description), if any. */
export function recordKey(record: EventRecord): string | undefined {
  return /\* key: (\S+)/.exec(record.description)?.[1];
}

/** One event of the history as a few readable lines. */
export function describeRecord(record: EventRecord): string[] {
  const key = recordKey(record);
  const followUp = record.isFollowUp ? ` (follow-up of #${record.followUpTo})` : '';
  const handled = record.handlers.filter((call) => !call.revert).map((call) => call.handler);
  const lines = [`#${record.seqNum} ${record.name}${key ? ` ${key}` : ''}${followUp} -> handlers: ${handled.join(', ') || 'none'}`];
  for (const call of record.handlers) {
    if (call.revert) lines.push(`    reverted ${call.handler}${call.error ? ` (error: ${call.error})` : ''}`);
    else if (call.error) lines.push(`    ${call.handler} failed: ${call.error}`);
    else if (call.change) lines.push(`    ${call.handler}: ${call.change}`);
  }
  if (record.txnError) lines.push(`    southbound: ${record.txnError}`);
  else if (record.txn) lines.push(`    southbound txn #${record.txn.seqNum}: ${record.txn.executed.length} operation(s)`);
  return lines;
}

/**
 * Follows the controller's event history: `waitFor` finds a record newer than those already
 * seen, `printNew` logs every record not printed yet. Non-blocking events (everything the DB
 * watcher pushes) have no completion to await, so the history is how the scenario watches.
 */
export class HistoryCursor {
  private printedUpTo = -1;

  constructor(
    private readonly controller: Controller,
    private readonly log: (line: string) => void,
  ) {}

  /** The next record after `afterSeqNum` that matches. */
  async waitFor(matches: (record: EventRecord) => boolean, what: string, afterSeqNum = this.printedUpTo, limitMs?: number): Promise<EventRecord> {
    let found: EventRecord | undefined;
    await waitUntil(() => (found = this.controller.eventHistory().find((r) => r.seqNum > afterSeqNum && matches(r))) !== undefined, what, limitMs);
    return found as EventRecord;
  }

  /** Waits for a KubeStateChange of each key, in any order. */
  async waitForKeys(keys: string[]): Promise<void> {
    for (const key of keys) await this.waitFor((r) => recordKey(r) === key, `the change of ${key}`);
  }

  printNew(): void {
    for (const record of this.controller.eventHistory({ from: this.printedUpTo + 1, to: Number.MAX_SAFE_INTEGER })) {
      for (const line of describeRecord(record)) this.log(line);
      this.printedUpTo = Math.max(this.printedUpTo, record.seqNum);
    }
  }

  get lastPrinted(): number {
    return this.printedUpTo;
  }
}
