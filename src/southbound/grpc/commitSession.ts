import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { TransactionError, toError } from '../../api/errors';
import { callMetadata, type ClientTlsOptions } from './channel';
import {
  SouthboundCommitTimeoutError,
  SouthboundConnectionLostError,
  SouthboundRefusedError,
  SouthboundTlsError,
  SouthboundUnreachableError,
  isRefusal,
} from './errors';
import type { InstanceTracker } from './instanceTracker';
import { sessionPath } from './protocol';
import { PendingTxn, type TxnAnswer } from './pendingTxn';
import { decodeSessionResponse, type SessionResponseMessage } from './sessionCodec';
import { diagnoseTls } from './tlsDiagnosis';

export interface CommitSessionOptions {
  client: grpc.Client;
  address: string;
  token?: string;
  tls?: ClientTlsOptions;
  /** How long a commit waits for a session, and a new session for the southbound's hello. */
  connectTimeoutMs: number;
  commitDeadlineMs: number;
  /** Delay before re-opening a session that failed before its hello (doubling up to maxMs). */
  reopenBackoff: { initialMs: number; maxMs: number };
  instances: InstanceTracker;
  logger: Logger;
}

/** How long the TLS diagnosis of an unreachable southbound may take. */
const TLS_DIAGNOSIS_TIMEOUT_MS = 1000;

/** Requests travel encoded already (txnPartEncoder.ts). */
type SessionCall = grpc.ClientDuplexStream<Buffer, SessionResponseMessage>;

const encoded = (part: Buffer): Buffer => part;

interface OutgoingTxn {
  call: SessionCall;
  parts: Iterator<Buffer>;
  pending: PendingTxn;
  written: boolean;
  /** The part after the one being written (looked ahead to know which part is the last). */
  next: IteratorResult<Buffer> | undefined;
}

interface ReadyWaiter {
  resolve(): void;
  reject(error: Error): void;
}

function closedError(): TransactionError {
  return new TransactionError({ initError: 'southbound client is closed' });
}

/**
 * The client's side of the Session stream: one long-lived bidirectional stream for every commit.
 * It is opened at once and re-opened whenever it ends, so the southbound's hello (its instance id)
 * reveals a restart even while nobody commits. Transactions go one after the other, each answered
 * in order; a session that breaks fails the transactions in flight as unavailable.
 */
export class CommitSession {
  private call: SessionCall | undefined;
  private ready = false;
  private closed = false;
  private readonly waiters = new Set<ReadyWaiter>();
  private readonly pending = new Map<number, PendingTxn>();
  private nextTxnId = 1;
  /** Transactions whose parts are not all written yet, in order. */
  private readonly outbox: OutgoingTxn[] = [];
  /** Waiting for 'drain' or for the next turn of the event loop. */
  private pumping = false;
  private helloTimer: NodeJS.Timeout | undefined;
  private reopenTimer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private failedAttempts = 0;
  /** Why the southbound refused the last session attempt: commits fail fast with it. */
  private refusal: SouthboundRefusedError | undefined;

  constructor(private readonly options: CommitSessionOptions) {
    this.open();
  }

  /**
   * Sends one transaction (its parts, numbered by the session) and resolves with its answer;
   * `keepSent` keeps the parts sent, for the recorded transaction.
   */
  async commit(parts: (txnId: number) => Iterator<Buffer>, keepSent: boolean): Promise<TxnAnswer> {
    if (!this.ready) await this.whenReady();
    const call = this.call;
    if (!call) throw new SouthboundUnreachableError(this.options.address, new Error('the session ended'));
    const id = this.nextTxnId++;
    return new Promise<TxnAnswer>((resolve, reject) => {
      const pending = new PendingTxn(keepSent, performance.now() + this.options.commitDeadlineMs, resolve, reject);
      this.pending.set(id, pending);
      this.armDeadline();
      this.outbox.push({ call, parts: parts(id), pending, written: false, next: undefined });
      if (!this.pumping) this.pump();
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.helloTimer);
    clearTimeout(this.reopenTimer);
    clearTimeout(this.deadlineTimer);
    const error = closedError();
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
    for (const waiter of [...this.waiters]) waiter.reject(error);
    const call = this.call;
    this.call = undefined;
    call?.cancel();
  }

  private open(): void {
    if (this.closed) return;
    const metadata = callMetadata(this.options.token);
    metadata.setOptions({ waitForReady: true });
    const call: SessionCall = this.options.client.makeBidiStreamRequest(sessionPath(), encoded, decodeSessionResponse, metadata, {});
    this.call = call;
    // Also covers a peer that accepts connections but never answers.
    this.helloTimer = setTimeout(() => {
      if (this.call === call && !this.ready) call.cancel();
    }, this.options.connectTimeoutMs);
    call.on('data', (message: SessionResponseMessage) => this.receive(call, message));
    call.on('error', () => undefined); // the 'status' event carries it
    call.on('status', (status: grpc.StatusObject) => this.ended(call, status));
  }

  private receive(call: SessionCall, message: SessionResponseMessage): void {
    if (call !== this.call) return;
    if (message.hello) {
      this.greeted(message.hello.instanceId);
    } else if (message.part) {
      this.pending.get(message.part.txnId)?.addPart(message.part);
    } else if (message.result) {
      const id = message.result.txnId;
      const pending = this.pending.get(id);
      this.pending.delete(id);
      pending?.resolve(message.result);
    }
  }

  private greeted(instanceId: string): void {
    clearTimeout(this.helloTimer);
    this.ready = true;
    this.failedAttempts = 0;
    this.refusal = undefined;
    this.options.logger.debug({ instanceId }, 'southbound session open');
    // Reset listeners run before any waiting commit goes on: the controller queues its resync first.
    this.options.instances.observe(instanceId);
    for (const waiter of [...this.waiters]) waiter.resolve();
  }

  private ended(call: SessionCall, status: grpc.StatusObject): void {
    if (call !== this.call) return;
    this.call = undefined;
    clearTimeout(this.helloTimer);
    const wasReady = this.ready;
    this.ready = false;
    const { address, logger } = this.options;
    const refused = isRefusal(status.code);
    for (const pending of this.pending.values()) {
      pending.reject(refused ? new SouthboundRefusedError(status.code, status) : new SouthboundConnectionLostError(address, pending.sent, status));
    }
    this.pending.clear();
    // A drain that will never come: the outbox moves on to the next session.
    this.outbox.length = 0;
    this.pumping = false;
    const fact = { code: grpc.status[status.code], details: status.details };
    if (wasReady) {
      logger.warn(fact, 'southbound session ended; re-opening');
    } else {
      this.failedAttempts += 1;
      if (refused) {
        this.refusal = new SouthboundRefusedError(status.code, status);
        for (const waiter of [...this.waiters]) waiter.reject(this.refusal);
      }
      if (this.failedAttempts === 1) logger.warn(fact, 'southbound session not established; retrying');
    }
    const { initialMs, maxMs } = this.options.reopenBackoff;
    const delay = wasReady ? 0 : Math.min(maxMs, initialMs * 2 ** (this.failedAttempts - 1));
    this.reopenTimer = setTimeout(() => this.open(), delay);
  }

  /**
   * Writes the parts of the queued transactions in order: synchronously while the stream takes
   * them (no promise per commit on the hot path), after 'drain' when its buffer is full, and after
   * a turn of the event loop between the parts of a big transaction, so that each part goes out
   * (and the southbound decodes it) while the next is encoded.
   */
  private readonly pump = (): void => {
    this.pumping = false;
    while (this.outbox.length > 0) {
      const item = this.outbox[0];
      if (item.pending.settled || item.call !== this.call) {
        this.outbox.shift();
        continue;
      }
      const part = item.next ?? this.nextPart(item);
      // Looked ahead to know whether this part is the last; a part that failed to encode has failed its commit.
      const next = part && !part.done ? this.nextPart(item) : undefined;
      if (!part || part.done || !next) {
        this.outbox.shift();
        continue;
      }
      item.next = next;
      if (next.done) {
        item.pending.sent = true;
        this.outbox.shift();
      }
      item.written = true;
      if (item.pending.keepSent) item.pending.sentParts.push(part.value);
      if (!item.call.write(part.value)) {
        this.pumping = true;
        item.call.once('drain', this.pump);
        return;
      }
      if (!next.done) {
        this.pumping = true;
        setImmediate(this.pump);
        return;
      }
    }
  };

  /** The next part; a part that cannot be encoded fails its commit (and drops what was sent of it). */
  private nextPart(item: OutgoingTxn): IteratorResult<Buffer> | undefined {
    try {
      return item.parts.next();
    } catch (error) {
      item.pending.reject(new TransactionError({ initError: `cannot encode the transaction: ${toError(error).message}`, cause: error }));
      // The southbound drops the transaction it was assembling: nothing of it is applied.
      if (item.written) item.call.cancel();
      return undefined;
    }
  }

  /**
   * One timer for the oldest commit in flight, not one per commit: when it fires it fails what is
   * overdue and re-arms for the next, so a commit answered in time costs no timer of its own.
   */
  private armDeadline(): void {
    if (this.deadlineTimer || this.closed) return;
    const oldest = this.pending.values().next();
    if (oldest.done) return;
    this.deadlineTimer = setTimeout(this.checkDeadlines, Math.max(0, oldest.value.deadline - performance.now()));
  }

  private readonly checkDeadlines = (): void => {
    this.deadlineTimer = undefined;
    const oldest = this.pending.entries().next();
    if (!oldest.done && oldest.value[1].deadline <= performance.now()) this.timeOut(oldest.value[0]);
    this.armDeadline();
  };

  private timeOut(id: number): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    pending.reject(new SouthboundCommitTimeoutError(this.options.address, this.options.commitDeadlineMs));
    this.options.logger.warn({ txnId: id, deadlineMs: this.options.commitDeadlineMs }, 'no answer to a commit in time: re-opening the session');
    // Drops the transaction if the southbound still assembles it; a late answer cannot be mistaken for another's.
    this.call?.cancel();
  }

  private whenReady(): Promise<void> {
    if (this.closed) return Promise.reject(closedError());
    if (this.refusal) return Promise.reject(this.refusal);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        void this.unreachableError().then(reject);
      }, this.options.connectTimeoutMs);
      const waiter: ReadyWaiter = {
        resolve: () => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          reject(error);
        },
      };
      this.waiters.add(waiter);
    });
  }

  /** Why no session came: a TLS failure names its cause; anything else is "unreachable". */
  private async unreachableError(): Promise<TransactionError> {
    const { address, tls, client, connectTimeoutMs } = this.options;
    if (tls) {
      const failure = await diagnoseTls(address, tls, TLS_DIAGNOSIS_TIMEOUT_MS);
      if (failure) return new SouthboundTlsError(address, failure);
    }
    const state = grpc.connectivityState[client.getChannel().getConnectivityState(false)];
    return new SouthboundUnreachableError(address, new Error(`no session within ${connectTimeoutMs} ms (connection ${state})`));
  }
}
