import type { CommitRequest } from '../../api/southbound';
import type { ProtoMessage } from '../../api/types';
import type { AnyCodec } from './anyCodec';
import { MAX_VALUE_BYTES } from './batching';
import type { NotSentValues } from './recordedTxn';

/** One value of a transaction, encoded, as the part encoder takes it (a slot `next` fills). */
export interface EncodedValue {
  key: string;
  /** UTF-8 length of the key. */
  keyBytes: number;
  /** Undefined for a delete. */
  typeUrl: string | undefined;
  /** The encoded message; undefined for a delete or a value not sent. */
  bytes: Uint8Array | undefined;
  /** Why the value is not sent (over MAX_VALUE_BYTES); undefined when it is. */
  error: string | undefined;
}

/**
 * Encodes a transaction's values one by one, in request order, as the parts that carry them are
 * built: the southbound decodes the first part of a big resync while the client encodes the next,
 * and nothing per value outlives its part (a 310,000-value resync kept eight arrays of 310,000
 * slots, 20 MB, while the garbage of its handlers was not yet collected: its peak memory).
 * Every value's type is checked up front: a value that is not a protobufjs message fails the
 * commit before anything is sent. The request's values do not change while it is committed.
 */
export class TxnValueEncoder {
  readonly size: number;
  // Keys and values side by side: an entries iterator makes a [key, value] array per value.
  private readonly keys: Iterator<string>;
  private readonly messages: Iterator<ProtoMessage | null>;
  private notSentValues: Map<string, { typeUrl: string; error: string }> | undefined;

  /** Throws InvalidValueError for a value that is not a protobufjs message. */
  constructor(
    request: CommitRequest,
    private readonly codec: AnyCodec,
  ) {
    request.values.forEach(this.checkType);
    this.size = request.values.size;
    this.keys = request.values.keys();
    this.messages = request.values.values();
  }

  /**
   * Encodes the next value into `into`, one writer per message: a shared one would build a linked
   * list of every field of every value, twice as slow for a 100,000-value resync. A value over
   * MAX_VALUE_BYTES (key, type URL and bytes) becomes an error: it is not sent.
   */
  next(into: EncodedValue): void {
    const next = this.keys.next();
    if (next.done) throw new RangeError(`all ${this.size} values are encoded already`);
    const key = next.value;
    const message = this.messages.next().value as ProtoMessage | null;
    into.key = key;
    into.keyBytes = Buffer.byteLength(key);
    into.error = undefined;
    into.bytes = undefined;
    if (!message) {
      into.typeUrl = undefined;
      return;
    }
    const typeUrl = this.codec.typeUrlOf(key, message);
    const encoded = message.$type.encode(message).finish();
    into.typeUrl = typeUrl;
    const size = into.keyBytes + typeUrl.length + encoded.length;
    if (size > MAX_VALUE_BYTES) {
      into.error = `value of ${size} bytes is over the ${MAX_VALUE_BYTES}-byte limit of the southbound protocol: not sent`;
      (this.notSentValues ??= new Map()).set(key, { typeUrl, error: into.error });
      return;
    }
    into.bytes = encoded;
  }

  private readonly checkType = (message: ProtoMessage | null, key: string): void => {
    if (message) this.codec.typeUrlOf(key, message);
  };

  /** The values not sent, by key (usually none), with their type URLs and why, for the recorded transaction. */
  notSent(): NotSentValues | undefined {
    return this.notSentValues;
  }
}
