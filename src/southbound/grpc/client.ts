import * as grpc from '@grpc/grpc-js';
import pino, { type Logger } from 'pino';
import type { Root } from 'protobufjs';
import { TransactionError, toError } from '../../api/errors';
import type { CommitRequest, CommitResult, RecordedTransaction, Southbound } from '../../api/southbound';
import type { ProtoMessage } from '../../api/types';
import { AnyCodec } from './anyCodec';
import { DEFAULT_MAX_BATCH_BYTES } from './batching';
import { callMetadata, channelCredentials, channelOptions, deadlineIn, type ClientTlsOptions, type ReconnectBackoff } from './channel';
import { commitHeader, sendCommit } from './commitStream';
import { keyStateFromWire, operationFromWire, uint64FromWire, valueStatusFromWire } from './convert';
import { SouthboundCallError, SouthboundUnreachableError, describeGrpcError, grpcCode } from './errors';
import { InstanceTracker } from './instanceTracker';
import type { KeyState, PackedValue, ValueStatus } from './model';
import { southboundRpcs, type RpcMethod } from './protocol';
import { recordedTxnFromParts } from './recordedTxn';
import { openValueStatusWatch, type ValueStatusWatch } from './valueStatusWatch';
import type { WireCommitResponse, WireGetValueStatusResponse } from './wire';

export interface GrpcSouthboundOptions {
  /** host:port of the southbound (e.g. 127.0.0.1:9111). */
  address: string;
  tls?: ClientTlsOptions;
  /** Sent as `authorization: Bearer <token>` on every call. */
  token?: string;
  /** Deadline of a whole commit, streaming included (default 60 s). */
  commitDeadlineMs?: number;
  /** Deadline of the other calls (default 10 s). */
  callDeadlineMs?: number;
  /** How long a commit waits for a connection before failing as unreachable (default 3 s). */
  connectTimeoutMs?: number;
  reconnectBackoff?: ReconnectBackoff;
  /** Fetch the recorded transaction after each commit, for the event history (default true). */
  fetchRecorded?: boolean;
  /** Types to render values of the recorded transactions with (besides those the client packed). */
  types?: Root;
  /** Bytes per commit message (~1 MiB). */
  maxBatchBytes?: number;
  logger?: Logger;
}

/**
 * The gRPC implementation of `Southbound`: commits over the KVScheduler protocol.
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
  private readonly client: grpc.Client;
  private readonly codec: AnyCodec;
  private readonly instances: InstanceTracker;
  private readonly logger: Logger;
  private readonly watches = new Set<ValueStatusWatch>();
  private closed = false;

  constructor(private readonly options: GrpcSouthboundOptions) {
    this.client = new grpc.Client(options.address, channelCredentials(options.tls), channelOptions(options.tls, options.reconnectBackoff));
    this.codec = new AnyCodec(options.types);
    this.logger = options.logger ?? pino({ level: 'silent' });
    this.instances = new InstanceTracker(this.logger);
  }

  /** The southbound instance last seen (undefined before the first response). */
  get instanceId(): string | undefined {
    return this.instances.current;
  }

  onReset(listener: (reason: string) => void): () => void {
    return this.instances.onReset(listener);
  }

  async commit(request: CommitRequest): Promise<CommitResult> {
    if (this.closed) throw new TransactionError({ initError: 'southbound client is closed' });
    let values: { key: string; value: PackedValue | null }[];
    try {
      values = [...request.values].map(([key, message]) => ({ key, value: message ? this.codec.pack(key, message) : null }));
    } catch (error) {
      throw new TransactionError({ initError: toError(error).message, cause: error });
    }
    await this.connect();
    let response: WireCommitResponse;
    try {
      const { commit } = southboundRpcs();
      const options = { deadline: deadlineIn(this.options.commitDeadlineMs ?? 60_000) };
      response = await sendCommit(
        (callback) => this.client.makeClientStreamRequest(commit.path, commit.serialize, commit.deserialize, this.metadata(), options, callback),
        commitHeader(request, values.length),
        values,
        this.options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES,
      );
    } catch (error) {
      throw this.commitError(error);
    }
    this.instances.observe(response.instanceId);
    const seqNum = response.seqNum === undefined ? undefined : uint64FromWire(response.seqNum);
    const recorded = seqNum !== undefined && (this.options.fetchRecorded ?? true) ? await this.recordedOrNothing(seqNum) : undefined;
    if (response.initError || response.keyErrors.length > 0) {
      throw new TransactionError({
        initError: response.initError || undefined,
        keyErrors: response.keyErrors.map((e) => ({ key: e.key, operation: operationFromWire(e.operation), error: e.error })),
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
    return parts.flatMap((part) => part.states.map(keyStateFromWire));
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
    for (const watch of [...this.watches]) watch.close();
    this.client.close();
  }

  private async connect(): Promise<void> {
    const timeoutMs = this.options.connectTimeoutMs ?? 3000;
    try {
      await new Promise<void>((resolve, reject) => this.client.waitForReady(deadlineIn(timeoutMs), (error) => (error ? reject(error) : resolve())));
    } catch (error) {
      throw new SouthboundUnreachableError(this.options.address, error);
    }
  }

  private commitError(error: unknown): TransactionError {
    if (grpcCode(error) === grpc.status.UNAVAILABLE) return new SouthboundUnreachableError(this.options.address, error);
    // The outcome of a commit that broke after the last batch is unknown: the caller heals.
    return new TransactionError({ initError: `commit failed: ${describeGrpcError(error)}`, cause: error });
  }

  private async recordedOrNothing(seqNum: bigint): Promise<RecordedTransaction | undefined> {
    try {
      return await this.getRecordedTxn(seqNum);
    } catch (error) {
      this.logger.warn({ err: error, seqNum: String(seqNum) }, 'could not fetch the recorded transaction');
      return undefined;
    }
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

  private metadata(): grpc.Metadata {
    return callMetadata(this.options.token);
  }

  private callOptions(): grpc.CallOptions {
    return { deadline: deadlineIn(this.options.callDeadlineMs ?? 10_000) };
  }
}
