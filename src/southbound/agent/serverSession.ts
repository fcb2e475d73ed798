import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { resyncFromWire } from '../grpc/convert';
import { resyncNameOfNumber } from '../grpc/sessionCodec';
import type { ReceivedPart, SessionTxnBegin } from '../grpc/sessionRequestDecoder';
import type { WireResyncType } from '../grpc/wire';
import type { ResyncType } from '../../api/southbound';
import type { SchedulerEngine } from './scheduler';
import { helloMessage, resultMessages } from './sessionResultEncoder';
import { ReplyQueue } from './replyQueue';
import { addWanted, type SchedulerCommitResult, type SchedulerTxnValue } from './types';

/** Bounds of a transaction being received, and the size of the messages sent back. */
export interface SessionLimits {
  /** Bytes of one transaction's parts; beyond, the session ends with RESOURCE_EXHAUSTED. */
  maxTxnBytes: number;
  /** Time from a transaction's first part to its last; beyond, the session ends with DEADLINE_EXCEEDED. */
  txnAssemblyTimeoutMs: number;
  maxBatchBytes: number;
}

/** Counters of the Session streams, for operators and for tests waiting on a condition. */
export interface SessionStats {
  sessionsOpened: number;
  partsReceived: number;
  /** Transactions that reached the scheduler (init errors included). */
  commitsApplied: number;
  /** Transactions dropped unfinished because their session broke or the server stopped. */
  txnsDiscarded: number;
  /** Transactions refused beyond a limit or for breaking the protocol. */
  txnsRefused: number;
  /** The most bytes one unfinished transaction held. */
  largestTxnBytes: number;
}

export function emptySessionStats(): SessionStats {
  return { sessionsOpened: 0, partsReceived: 0, commitsApplied: 0, txnsDiscarded: 0, txnsRefused: 0, largestTxnBytes: 0 };
}

interface OpenTxn {
  id: number;
  begin: SessionTxnBegin;
  resync: ResyncType | undefined;
  values: SchedulerTxnValue[];
  /** A FULL or UPSTREAM resync's values by key (their numbers), indexed as they arrive. */
  wanted: Map<string, number> | undefined;
  bytes: number;
  timer: NodeJS.Timeout | undefined;
}

/** Answers travel encoded already (sessionResultEncoder.ts). */
type SessionCall = grpc.ServerDuplexStream<ReceivedPart, Buffer>;

/**
 * One client's Session stream: greets with the instance id, assembles each transaction from its
 * parts within the limits, applies it once its end part arrived, and answers in order. A
 * transaction still open when the stream breaks or the server stops is dropped: nothing of it is
 * applied.
 */
export class ServerSession {
  private open: OpenTxn | undefined;
  private readonly replies: ReplyQueue;
  private ending = false;

  constructor(
    private readonly call: SessionCall,
    private readonly engine: SchedulerEngine,
    private readonly deps: { stats: SessionStats; limits: SessionLimits; logger: Logger; onGone: (session: ServerSession) => void },
  ) {
    deps.stats.sessionsOpened += 1;
    this.replies = new ReplyQueue(call, (error) => {
      deps.logger.error({ err: error }, 'session answer could not be encoded');
      this.refuse(grpc.status.INTERNAL, `the southbound could not encode its answer: ${error instanceof Error ? error.message : String(error)}`);
    });
    call.on('data', (part: ReceivedPart) => this.receive(part));
    call.on('end', () => this.endAfterReplies(() => call.end()));
    call.on('cancelled', () => this.gone('cancelled by the client'));
    call.on('error', (error: Error) => this.gone(error.message));
    call.on('close', () => this.gone('closed'));
    this.reply([helloMessage(engine.instanceId)]);
  }

  /** Server stop: drops the open transaction, then ends the stream with UNAVAILABLE after the replies in flight. */
  shutdown(): Promise<void> {
    return this.endAfterReplies(() => this.call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'the southbound is shutting down' }));
  }

  private receive({ message, bytes }: ReceivedPart): void {
    if (this.ending) return;
    const { stats, limits } = this.deps;
    stats.partsReceived += 1;
    const id = message.txnId;
    if (message.begin) {
      if (this.open) return this.refuse(grpc.status.INVALID_ARGUMENT, `transaction ${id} begins while transaction ${this.open.id} is still open`);
      const options = message.begin.options;
      const resync = options ? resyncFromWire(resyncNameOfNumber(options.resyncType) as WireResyncType) : undefined;
      const wanted = resync === 'full' || resync === 'upstream' ? new Map<string, number>() : undefined;
      this.open = { id, begin: message.begin, resync, values: [], wanted, bytes: 0, timer: undefined };
    }
    const txn = this.open;
    if (!txn) return this.refuse(grpc.status.INVALID_ARGUMENT, `a part of transaction ${id} came without its begin`);
    if (txn.id !== id) return this.refuse(grpc.status.INVALID_ARGUMENT, `a part of transaction ${id} came while transaction ${txn.id} is open`);
    if (txn.bytes + bytes > limits.maxTxnBytes) {
      return this.refuse(grpc.status.RESOURCE_EXHAUSTED, `transaction ${id} is over ${limits.maxTxnBytes} bytes (maxTxnBytes): nothing of it was applied`);
    }
    txn.bytes += bytes;
    if (txn.bytes > stats.largestTxnBytes) stats.largestTxnBytes = txn.bytes;
    // Decoded KeyValues have the scheduler's shape: no copy of 100,000 values. A resync's are
    // indexed while the client is still encoding the next parts.
    const { wanted } = txn;
    for (const kv of message.values) {
      const number = txn.values.push(kv);
      if (wanted) addWanted(wanted, kv, number);
    }
    if (!message.end) {
      // Armed only for a transaction that spans parts: most fit in one and never wait.
      txn.timer ??= setTimeout(
        () => this.refuse(grpc.status.DEADLINE_EXCEEDED, `transaction ${id} was not complete within ${limits.txnAssemblyTimeoutMs} ms (txnAssemblyTimeoutMs): nothing of it was applied`),
        limits.txnAssemblyTimeoutMs,
      );
      return;
    }
    clearTimeout(txn.timer);
    this.open = undefined;
    this.apply(txn);
  }

  private apply(txn: OpenTxn): void {
    const expected = txn.begin.valueCount;
    const options = txn.begin.options;
    let result: SchedulerCommitResult;
    if (expected !== txn.values.length) {
      result = { initError: `transaction ${txn.id} carried ${txn.values.length} values, its begin announced ${expected}`, keyErrors: [] };
    } else {
      result = this.engine.commit({
        values: txn.values,
        wanted: txn.wanted,
        resync: txn.resync,
        verbose: options?.verbose,
        revertOnFailure: options?.revertOnFailure,
        retry: options?.retry,
        description: options?.description,
      });
    }
    this.deps.stats.commitsApplied += 1;
    const recorded = txn.begin.record && result.seqNum !== undefined ? this.engine.getRecordedTxn(result.seqNum) : undefined;
    this.reply(resultMessages(txn.id, result, recorded, { maxBytes: this.deps.limits.maxBatchBytes, readsValueNumbers: txn.begin.readsValueNumbers }));
  }

  private reply(messages: Iterable<Buffer>): void {
    this.replies.push(messages);
  }

  /** Ends the session with a status after the replies already queued (earlier transactions keep their results). */
  private refuse(code: grpc.status, details: string): void {
    if (this.ending) return;
    this.deps.stats.txnsRefused += 1;
    this.deps.logger.warn({ code: grpc.status[code], details }, 'transaction refused: session ended');
    this.discardOpen();
    void this.endAfterReplies(() => this.call.emit('error', { code, details }));
  }

  private endAfterReplies(end: () => void): Promise<void> {
    this.discardOpen('the session ended before it');
    const first = !this.ending;
    this.ending = true;
    return this.replies.idle().then(() => {
      if (first && !this.call.cancelled && !this.call.destroyed) end();
    });
  }

  private gone(reason: string): void {
    this.discardOpen(reason);
    this.replies.abandon();
    this.ending = true;
    this.deps.onGone(this);
  }

  private discardOpen(reason?: string): void {
    const txn = this.open;
    if (!txn) return;
    clearTimeout(txn.timer);
    this.open = undefined;
    if (reason === undefined) return;
    this.deps.stats.txnsDiscarded += 1;
    this.deps.logger.warn({ txnId: txn.id, reason, valuesReceived: txn.values.length }, 'transaction dropped unfinished: nothing of it applied');
  }
}
