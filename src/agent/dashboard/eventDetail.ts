import type { EventRecord } from '../../api/history';
import type { RecordedOperation } from '../../api/southbound';
import { stringifyJson } from '../rest/json';
import { methodName } from '../../api/enums';
import { shorten, summarizeEvent } from './eventSummary';
import type { DetailOperation, DetailValue, EventDetail } from './protocol';

/** Bounds of one drill-down reply: a resync's transaction may hold every value of the node. */
export interface DetailLimits {
  maxValues: number;
  maxOperations: number;
  /** Characters of one value's JSON. */
  maxValueChars: number;
  maxDescriptionChars: number;
  maxHandlers: number;
}

export const DEFAULT_DETAIL_LIMITS: DetailLimits = {
  maxValues: 300,
  maxOperations: 300,
  maxValueChars: 2000,
  maxDescriptionChars: 8000,
  maxHandlers: 200,
};

function jsonOf(value: unknown, max: number): { text: string; truncated: boolean } {
  const text = stringifyJson(value);
  return { text: shorten(text, max), truncated: text.length > max };
}

function detailValue(key: string, value: unknown, limits: DetailLimits): DetailValue {
  if (value === undefined || value === null) return { key };
  const { text, truncated } = jsonOf(value, limits.maxValueChars);
  return { key, value: text, ...(truncated && { truncated }) };
}

function detailOperation(op: RecordedOperation, limits: DetailLimits): DetailOperation {
  return {
    key: op.key,
    operation: op.operation,
    prevState: op.prevState,
    newState: op.newState,
    ...(op.prevValue !== undefined && { prevValue: jsonOf(op.prevValue, limits.maxValueChars).text }),
    ...(op.newValue !== undefined && { newValue: jsonOf(op.newValue, limits.maxValueChars).text }),
    ...(op.error !== undefined && { error: op.error }),
    isRevert: op.isRevert,
    isRetry: op.isRetry,
  };
}

/**
 * At most `max` operations in execution order; when some must go, failed ones are kept first:
 * they are what a person opens the drill-down for.
 */
function keptOperations(executed: readonly RecordedOperation[], max: number): RecordedOperation[] {
  if (executed.length <= max) return [...executed];
  const failed = executed.filter((op) => op.error !== undefined).slice(0, max);
  const kept = new Set(failed);
  for (const op of executed) {
    if (kept.size >= max) break;
    kept.add(op);
  }
  return executed.filter((op) => kept.has(op));
}

/** The drill-down of a history record, cut to the limits (the totals say how much was cut). */
export function eventDetail(record: EventRecord, limits: DetailLimits = DEFAULT_DETAIL_LIMITS): EventDetail {
  const txn = record.txn;
  return {
    summary: summarizeEvent(record),
    description: shorten(record.description, limits.maxDescriptionChars),
    method: methodName(record.method),
    handlers: record.handlers.slice(0, limits.maxHandlers).map((call) => ({ ...call })),
    ...(record.txnError !== undefined && { txnError: record.txnError }),
    ...(txn && {
      txn: {
        seqNum: txn.seqNum.toString(),
        txnType: txn.txnType,
        ...(txn.resyncType !== undefined && { resyncType: txn.resyncType }),
        start: txn.start,
        stop: txn.stop,
        values: txn.values.slice(0, limits.maxValues).map((v) => detailValue(v.key, v.value, limits)),
        valuesTotal: txn.values.length,
        executed: keptOperations(txn.executed, limits.maxOperations).map((op) => detailOperation(op, limits)),
        executedTotal: txn.executed.length,
      },
    }),
  };
}
