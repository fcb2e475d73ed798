import { HealingResync } from '../../api/events/healingResync';
import type { EventRecord } from '../../api/history';
import type { EventResult, EventSummary, EventTag } from './protocol';

const MAX_SUBJECT = 160;
const MAX_ERROR = 300;

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * What the event is about, for the timeline row: the kube key of a state change; else what the
 * description says beyond the event's name (its first line's rest, or its bullet lines).
 */
function subjectOf(record: EventRecord): string | undefined {
  const key = /\* key: (\S+)/.exec(record.description)?.[1];
  if (key) return shorten(key, MAX_SUBJECT);
  const [first, ...rest] = record.description.split('\n');
  const firstRest = first.startsWith(record.name) ? first.slice(record.name.length) : first;
  // "Database Resync - empty dataset", "Healing Resync (after error: ...)"
  const inline = firstRest.trim().replace(/^[-:]\s*/, '').replace(/^\((.*)\)$/, '$1');
  const bullets = rest.map((line) => line.replace(/^\s*\*\s*/, '').trim()).filter((line) => line !== '');
  const subject = [inline, ...bullets].filter((part) => part !== '').join('; ');
  return subject === '' ? undefined : shorten(subject, MAX_SUBJECT);
}

/** Reverted when a handler was reverted; error when a handler or the transaction failed. */
export function resultOf(record: EventRecord): EventResult {
  if (record.handlers.some((call) => call.revert)) return 'reverted';
  if (record.txnError !== undefined || record.handlers.some((call) => call.error !== undefined)) return 'error';
  return 'ok';
}

function tagsOf(record: EventRecord): EventTag[] {
  const tags: EventTag[] = [];
  if (record.isFollowUp) tags.push('follow-up');
  if (record.name === HealingResync.eventName) tags.push('healing');
  if (record.batch) tags.push('batch');
  return tags;
}

/** The timeline row of a history record. */
export function summarizeEvent(record: EventRecord): EventSummary {
  const subject = subjectOf(record);
  const error = record.handlers.find((call) => call.error !== undefined && !call.revert)?.error ?? record.txnError;
  return {
    seqNum: record.seqNum,
    name: record.name,
    ...(subject !== undefined && { subject }),
    start: record.processingStart,
    end: record.processingEnd,
    result: resultOf(record),
    tags: tagsOf(record),
    ...(record.followUpTo !== undefined && { followUpTo: record.followUpTo }),
    ...(record.batch && { batch: { ...record.batch } }),
    ...(error !== undefined && { error: shorten(error, MAX_ERROR) }),
  };
}

export { shorten };
