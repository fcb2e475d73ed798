import * as grpc from '@grpc/grpc-js';
import pino, { type Logger } from 'pino';
import type { Root } from 'protobufjs';
import { TransactionError, toError } from '../../api/errors';
import type { CommitRequest, CommitResult, RecordedTransaction, Southbound } from '../../api/southbound';
import type { ProtoMessage } from '../../api/types';
import { AnyCodec } from './anyCodec';
import { callMetadata, channelCredentials, DEFAULT_RECONNECT_BACKOFF, channelOptions, deadlineIn, type ClientTlsOptions, type ReconnectBackoff } from './channel';
import { CommitSession } from './commitSession';
import type { TxnAnswer } from './pendingTxn';
import { keyStatesFromWire, valueStatusFromWire } from './convert';
import { SouthboundCallError, grpcCode } from './errors';
import { InstanceTracker } from './instanceTracker';
import { KeptBytes } from './keptBytes';
import type { KeyState, PackedValue, ValueStatus } from './model';
import { southboundRpcs, type RpcMethod } from './protocol';
import { recordedTxnFromParts, recordedTxnOfCommit } from './recordedTxn';
import { operationOfNumber } from './sessionCodec';
import { TxnValueEncoder } from './txnValueEncoder';
import { encodeTxnParts } from './txnPartEncoder';
import { openValueStatusWatch, type ValueStatusWatch } from './valueStatusWatch';
import type { WireGetValueStatusResponse } from './wire';

/**
 * From this many values, the recorded transaction keeps the request instead of the parts sent (see
 * recordedTxn.ts). Below it, the parts: a Map per commit in a 10,000-record history is more for
 * the garbage collector to copy than a few buffers. A coalesced batch of the default 256 events
 * stays below while its events put up to 16 values each (the loop workload puts 6, the example
 * network handlers 3 per pod).
 */
const KEEP_REQUEST_FROM_VALUES = 4096;

export interface GrpcSouthboundOptions {
  /** host:port of the southbound (e.g. 127.0.0.1:9111). */
  address: string;
  tls?: ClientTlsOptions;
  /** Sent as `authorization: Bearer <token>` on every call. */
  token?: string;
  /** A commit with no answer by then fails as unavailable (default 60 s). */
  commitDeadlineMs?: number;
  /** Deadline of the other calls (default 10 s). */
  callDeadlineMs?: number;
  /** How long a commit waits for a session before failing as unreachable (default 3 s). */
  connectTimeoutMs?: number;
  reconnectBackoff?: ReconnectBackoff;
  /** Have each commit's recorded transaction sent back with its result, for the event history (default true). */
  recorded?: boolean;
  /** Types to render values of the recorded transactions with (besides those the client packed). */
  types?: Root;
  /** Bytes per commit message (~1 MiB). */
  maxBatchBytes?: number;
  logger?: Logger;
}

/**
 * The gRPC implementation of `Southbound`: commits over the KVScheduler protocol's Session stream.
 *
 * ```ts
 * const southbound = new GrpcSouthbound({ address: '127.0.0.1:9111', logger });
 * const controller = createController({ handlers, southbound }); // subscribes to onReset itself
 * // ...
 * await controller.close();
 * await southbound.close();
 * ```
 */
export class GrpcSouthbound implements Southbound {
  /**
   * The session sends transactions in order and the southbound applies and answers them in that
   * order, so a coalesced batch's commit can go while the one before is answered: the controller
   * and the southbound then work at the same time instead of in turns. Two are enough: with
   * more, the next batch would only wait for handlers that are already busy.
   */
  readonly maxCommitsInFlight = 2;
  private readonly client: grpc.Client;
  private readonly codec: AnyCodec;
  /** Where the recorded transactions keep their messages (for as long as the event history keeps them). */
  private readonly keptBytes = new KeptBytes();
  private readonly instances: InstanceTracker;
  private readonly session: CommitSession;
  private readonly logger: Logger;
  private readonly watches = new Set<ValueStatusWatch>();
  private closed = false;

  constructor(private readonly options: GrpcSouthboundOptions) {
    this.client = new grpc.Client(options.address, channelCredentials(options.tls), channelOptions(options.tls, options.reconnectBackoff));
    this.codec = new AnyCodec(options.types);
    this.logger = options.logger ?? pino({ level: 'silent' });
    this.instances = new InstanceTracker(this.logger);
    this.session = new CommitSession({
      client: this.client,
      address: options.address,
      token: options.token,
      tls: options.tls,
      connectTimeoutMs: options.connectTimeoutMs ?? 3000,
      commitDeadlineMs: options.commitDeadlineMs ?? 60_000,
      reopenBackoff: { initialMs: options.reconnectBackoff?.initialMs ?? DEFAULT_RECONNECT_BACKOFF.initialMs, maxMs: options.reconnectBackoff?.maxMs ?? DEFAULT_RECONNECT_BACKOFF.maxMs },
      instances: this.instances,
      logger: this.logger,
    });
  }

  /** The southbound instance last seen (undefined before the first answer). */
  get instanceId(): string | undefined {
    return this.instances.current;
  }

  onReset(listener: (reason: string) => void): () => void {
    return this.instances.onReset(listener);
  }

  async commit(request: CommitRequest): Promise<CommitResult> {
    if (this.closed) throw new TransactionError({ initError: 'southbound client is closed' });
    let values: TxnValueEncoder;
    try {
      values = new TxnValueEncoder(request, this.codec);
    } catch (error) {
      throw new TransactionError({ initError: toError(error).message, cause: error });
    }
    const record = this.options.recorded ?? true;
    const maxBatchBytes = this.options.maxBatchBytes;
    const keepSent = record && request.values.size < KEEP_REQUEST_FROM_VALUES;
    const answer = await this.session.commit((txnId) => encodeTxnParts(txnId, request, values, { record, maxBatchBytes }), keepSent);
    return this.outcome(request, values, answer, record, keepSent);
  }

  private outcome(request: CommitRequest, values: TxnValueEncoder, answer: TxnAnswer, record: boolean, keptSent: boolean): CommitResult {
    const { result } = answer;
    const seqNum = result.seqNum;
    const recorded = seqNum !== undefined && record ? recordedTxnOfCommit({ request, answer, seqNum, keptSent, notSent: values.notSent() }, this.codec, this.keptBytes) : undefined;
    if (result.initError || result.keyErrors.length > 0) {
      throw new TransactionError({
        initError: result.initError || undefined,
        keyErrors: result.keyErrors.map((e) => ({ key: e.key, operation: operationOfNumber(e.operation), error: e.error })),
        seqNum,
        recorded,
      });
    }
    return { seqNum, recorded };
  }

  /** The recorded transaction, or undefined when the southbound no longer has it. */
  async getRecordedTxn(seqNum: bigint): Promise<RecordedTransaction | undefined> {
    try {
      const parts = await this.collect('GetRecordedTxn', southboundRpcs().getRecordedTxn, { seqNum: seqNum.toString() });
      return recordedTxnFromParts(parts, this.codec);
    } catch (error) {
      if (error instanceof SouthboundCallError && error.code === grpc.status.NOT_FOUND) return undefined;
      throw error;
    }
  }

  /** Every value under the prefix with its desired/applied value and state, sorted by key. */
  async dumpState(keyPrefix = ''): Promise<KeyState[]> {
    const parts = await this.collect('DumpState', southboundRpcs().dumpState, { keyPrefix });
    return keyStatesFromWire(parts.flatMap((part) => part.states));
  }

  async getValueStatus(key: string): Promise<ValueStatus> {
    const method = southboundRpcs().getValueStatus;
    const response = await new Promise<WireGetValueStatusResponse>((resolve, reject) => {
      this.client.makeUnaryRequest(method.path, method.serialize, method.deserialize, { key }, this.metadata(), this.callOptions(), (error, value) =>
        error || !value ? reject(new SouthboundCallError('GetValueStatus', grpcCode(error), error)) : resolve(value),
      );
    });
    this.instances.observe(response.instanceId);
    return response.status ? valueStatusFromWire(response.status) : { key, state: 'NONEXISTENT', seqNum: 0n };
  }

  /** Watches status changes of keys under the prefixes (all keys when empty); resolves once registered. */
  async watchValueStatus(keyPrefixes: string[], onStatus: (status: ValueStatus) => void): Promise<ValueStatusWatch> {
    const method = southboundRpcs().watchValueStatus;
    const stream = this.client.makeServerStreamRequest(method.path, method.serialize, method.deserialize, { keyPrefixes }, this.metadata(), {});
    const watch = await openValueStatusWatch(stream, onStatus, (id) => this.instances.observe(id));
    this.watches.add(watch);
    void watch.ended.finally(() => this.watches.delete(watch));
    return watch;
  }

  /** Decodes a packed value (from `dumpState`) when its type is known to the client. */
  unpack(value: PackedValue | undefined): ProtoMessage | undefined {
    return value ? this.codec.unpack(value) : undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.session.close();
    for (const watch of [...this.watches]) watch.close();
    this.client.close();
  }

  private collect<Req, T extends { instanceId: string }>(name: string, method: RpcMethod<Req, T>, request: Req): Promise<T[]> {
    return new Promise<T[]>((resolve, reject) => {
      const parts: T[] = [];
      const { path, serialize, deserialize } = method;
      const stream = this.client.makeServerStreamRequest(path, serialize, deserialize, request, this.metadata(), this.callOptions());
      stream.on('data', (part: T) => {
        this.instances.observe(part.instanceId);
        parts.push(part);
      });
      stream.on('error', (error: unknown) => reject(new SouthboundCallError(name, grpcCode(error), error)));
      stream.on('end', () => resolve(parts));
    });
  }

  /** Calls wait for a connection up to their deadline: a southbound restarting is waited for, not failed at once. */
  private metadata(): grpc.Metadata {
    const metadata = callMetadata(this.options.token);
    metadata.setOptions({ waitForReady: true });
    return metadata;
  }

  private callOptions(): grpc.CallOptions {
    return { deadline: deadlineIn(this.options.callDeadlineMs ?? 10_000) };
  }
}
