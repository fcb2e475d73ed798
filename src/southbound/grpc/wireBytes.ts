/**
 * Protobuf wire primitives for the hand-written encoders of the Session stream (the transaction
 * parts, the results): sizes first, then one buffer written in place, no object per field.
 */

export const WIRE_VARINT = 0;
export const WIRE_LEN = 2;

export function tag(field: number, wireType: number): number {
  return (field << 3) | wireType;
}

/** Encoded size of a non-negative integer up to 2^53 as a varint. */
export function varintSize(value: number): number {
  let size = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    size += 1;
  }
  return size;
}

/** A length-delimited field of `length` bytes, with its (one-byte) tag. */
export function delimitedSize(length: number): number {
  return 1 + varintSize(length) + length;
}

export function writeVarint(buf: Buffer, pos: number, value: number): number {
  while (value >= 128) {
    buf[pos++] = (value & 127) | 128;
    value = Math.floor(value / 128);
  }
  buf[pos++] = value;
  return pos;
}

export function bigVarintSize(value: bigint): number {
  let size = 1;
  while (value >= 128n) {
    value >>= 7n;
    size += 1;
  }
  return size;
}

export function writeBigVarint(buf: Buffer, pos: number, value: bigint): number {
  while (value >= 128n) {
    buf[pos++] = Number(value & 127n) | 128;
    value >>= 7n;
  }
  buf[pos++] = Number(value);
  return pos;
}

/** Copies bytes; a loop beats TypedArray.set for the small values most transactions carry. */
export function writeRaw(buf: Buffer, pos: number, bytes: Uint8Array): number {
  const length = bytes.length;
  if (length > 64) {
    buf.set(bytes, pos);
    return pos + length;
  }
  for (let i = 0; i < length; i++) buf[pos + i] = bytes[i];
  return pos + length;
}

/** Writes a string of `byteLength` UTF-8 bytes; ASCII (byteLength === length) without a native call. */
export function writeString(buf: Buffer, pos: number, text: string, byteLength: number): number {
  if (byteLength === text.length && byteLength <= 64) {
    for (let i = 0; i < byteLength; i++) buf[pos + i] = text.charCodeAt(i);
    return pos + byteLength;
  }
  return pos + buf.write(text, pos, byteLength);
}

/** UTF-8 bytes of strings that repeat (type URLs, errors), encoded once. */
export class StringBytes {
  private readonly cache = new Map<string, Buffer>();
  of(text: string): Buffer {
    let bytes = this.cache.get(text);
    if (!bytes) {
      bytes = Buffer.from(text);
      if (this.cache.size < 1024) this.cache.set(text, bytes);
    }
    return bytes;
  }
}
