import type { Type } from 'protobufjs';
import type { CommitRequest } from '../../api/southbound';
import type { ProtoMessage } from '../../api/types';
import type { AnyCodec } from './anyCodec';
import { MAX_VALUE_BYTES } from './batching';
import type { NotSentValues } from './recordedTxn';

/**
 * A transaction's values in request order and in columns (no object per value). Every value's
 * type is checked up front (a value that is not a protobufjs message fails the commit before
 * anything is sent); the messages are encoded as the parts that carry them are built, so the
 * southbound decodes the first part of a big resync while the client encodes the next.
 */
export class PackedTxnValues {
  readonly keys: string[];
  /** UTF-8 length of each key. */
  readonly keyBytes: number[];
  /** The type URL of value i; undefined for a delete. */
  readonly typeUrls: Array<string | undefined>;
  /** The encoded message of value i, from when it is encoded until its part is built; undefined for a delete. */
  readonly bytes: Array<Uint8Array | undefined>;
  /** Values not sent (over MAX_VALUE_BYTES), by index, with the reason; absent when every value went. */
  errors: Map<number, string> | undefined;
  private readonly types: Array<Type | undefined>;
  private readonly messages: Array<ProtoMessage | undefined>;

  /** Throws InvalidValueError for a value that is not a protobufjs message. */
  constructor(request: CommitRequest, codec: AnyCodec) {
    const count = request.values.size;
    this.keys = new Array<string>(count);
    this.keyBytes = new Array<number>(count);
    this.typeUrls = new Array<string | undefined>(count);
    this.bytes = new Array<Uint8Array | undefined>(count);
    this.types = new Array<Type | undefined>(count);
    this.messages = new Array<ProtoMessage | undefined>(count);
    let i = 0;
    for (const [key, message] of request.values) {
      this.keys[i] = key;
      this.keyBytes[i] = Buffer.byteLength(key);
      if (message) {
        const { type, typeUrl } = codec.typeOfMessage(key, message);
        this.typeUrls[i] = typeUrl;
        this.types[i] = type;
        this.messages[i] = message;
      }
      i += 1;
    }
  }

  get size(): number {
    return this.keys.length;
  }

  /**
   * Encodes value i (once), one writer per message: a shared one would build a linked list of
   * every field of every value, twice as slow for a 100,000-value resync. A value over
   * MAX_VALUE_BYTES (key, type URL and bytes) becomes an error: it is not sent.
   */
  encode(i: number): void {
    const type = this.types[i];
    const message = this.messages[i];
    if (!type || !message) return;
    const encoded = type.encode(message).finish();
    this.bytes[i] = encoded;
    this.types[i] = undefined;
    this.messages[i] = undefined;
    const size = this.keyBytes[i] + (this.typeUrls[i]?.length ?? 0) + encoded.length;
    if (size > MAX_VALUE_BYTES) {
      this.errors ??= new Map();
      this.errors.set(i, `value of ${size} bytes is over the ${MAX_VALUE_BYTES}-byte limit of the southbound protocol: not sent`);
    }
  }

  /** The values not sent, by key (usually none), with their type URLs and why, for the recorded transaction. */
  notSent(): NotSentValues | undefined {
    if (!this.errors) return undefined;
    const values = new Map<string, { typeUrl: string; error: string }>();
    for (const [i, error] of this.errors) values.set(this.keys[i], { typeUrl: this.typeUrls[i] ?? '', error });
    return values;
  }
}
