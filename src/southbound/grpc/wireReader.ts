import type { PackedValue } from './model';
/**
 * A protobuf reader for the hand-written decoders of the Session stream: plain numbers, strings
 * and buffer views, no object per field (protobufjs would create a message per value and a Long
 * per 64-bit integer on every commit).
 */
export class WireDecodeError extends Error {
  constructor(message: string) {
    super(`malformed session message: ${message}`);
    this.name = 'WireDecodeError';
  }
}

const EMPTY = new Uint8Array(0);

export class WireReader {
  pos = 0;

  constructor(readonly buf: Buffer) {}

  /** A varint up to 2^53. */
  varint(): number {
    const buf = this.buf;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= buf.length) throw new WireDecodeError('truncated varint');
      const byte = buf[this.pos++];
      value += (byte & 127) * scale;
      if (byte < 128) return value;
      scale *= 128;
    }
    throw new WireDecodeError('varint too long');
  }

  /** A 64-bit varint, exact. */
  bigVarint(): bigint {
    let value = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) throw new WireDecodeError('truncated varint');
      const byte = this.buf[this.pos++];
      value |= BigInt(byte & 127) << shift;
      if (byte < 128) return value;
      shift += 7n;
    }
    throw new WireDecodeError('varint too long');
  }

  /** The end offset of a length-delimited field starting here. */
  end(): number {
    const length = this.varint();
    const end = this.pos + length;
    if (end > this.buf.length) throw new WireDecodeError('field runs past the message');
    return end;
  }

  string(): string {
    const end = this.end();
    const text = this.buf.toString('utf8', this.pos, end);
    this.pos = end;
    return text;
  }

  /** A string that repeats across messages (type URLs, errors), kept once. */
  internedString(cache: InternedStrings): string {
    const end = this.end();
    const text = cache.of(this.buf, this.pos, end);
    this.pos = end;
    return text;
  }

  /** A view on the bytes, no copy. */
  bytes(): Buffer {
    const end = this.end();
    const bytes = this.buf.subarray(this.pos, end);
    this.pos = end;
    return bytes;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.pos += 8;
        return;
      case 2:
        this.pos = this.end();
        return;
      case 5:
        this.pos += 4;
        return;
      default:
        throw new WireDecodeError(`unsupported wire type ${wireType}`);
    }
  }

  /** A google.protobuf.Any ending at `end`; its type URLs are interned (a handful of types recur). */
  any(end: number): PackedValue {
    let typeUrl = '';
    let value: Uint8Array = EMPTY;
    while (this.pos < end) {
      const tag = this.varint();
      if (tag === 10) typeUrl = this.internedString(typeUrls);
      else if (tag === 18) value = this.bytes();
      else this.skip(tag & 7);
    }
    return { type_url: typeUrl, value };
  }
}

/** Strings decoded from bytes that repeat, compared by bytes and kept once (up to 64 of them). */
export class InternedStrings {
  private readonly entries: { bytes: Buffer; text: string }[] = [];

  of(buf: Buffer, start: number, end: number): string {
    const length = end - start;
    for (const entry of this.entries) {
      if (entry.bytes.length !== length) continue;
      let same = true;
      for (let i = 0; i < length; i++) {
        if (entry.bytes[i] !== buf[start + i]) {
          same = false;
          break;
        }
      }
      if (same) return entry.text;
    }
    const text = buf.toString('utf8', start, end);
    if (this.entries.length < 64) this.entries.push({ bytes: Buffer.from(buf.subarray(start, end)), text });
    return text;
  }
}

const typeUrls = new InternedStrings();
