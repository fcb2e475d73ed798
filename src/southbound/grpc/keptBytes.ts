/** Bytes kept this long make slabs of their own: big enough that a slab serves dozens of records. */
const SLAB_SIZE = 64 * 1024;
/** Bigger pieces get memory of their own: a slab would hold few of them. */
const LARGE_PIECE = SLAB_SIZE / 8;
/** A large piece whose memory is at most this much bigger than the piece is kept as it is. */
const OWN_MEMORY_SLACK = 1024;

/**
 * Room for bytes that a history keeps for thousands of records: the messages of a commit in the
 * client's event history, the packed transactions of the southbound's.
 *
 * Small buffers (Buffer.allocUnsafe, Buffer.concat, and so grpc-js' messages) are views into
 * Node's shared 8 KiB pool slabs, filled mostly by short-lived buffers; a view kept long keeps its
 * whole slab. At 2,000 events/s the client's 10,000-record history pinned about 2,000 slabs: 16 MB
 * of external memory for about 5 MB of kept bytes, which counts towards V8's limits and so
 * brought full collections (and their pauses) sooner. Here kept bytes are copied next to each
 * other into slabs that hold nothing else; histories drop their oldest records first, so a slab
 * is freed soon after its last record, and little more than the kept bytes stays allocated.
 */
export class KeptBytes {
  private slab: Buffer = Buffer.alloc(0);
  private used = 0;

  /** `size` bytes of room, for bytes to be written and kept; uninitialised. */
  alloc(size: number): Buffer {
    if (size >= LARGE_PIECE) return Buffer.allocUnsafeSlow(size);
    if (this.used + size > this.slab.length) {
      this.slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
      this.used = 0;
    }
    const room = this.slab.subarray(this.used, this.used + size);
    this.used += size;
    return room;
  }

  /**
   * The bytes, to be kept: a copy in a slab, or for a large piece that already has its memory to
   * itself (a big message), the piece itself. Later writes to `bytes` may show in what a large
   * piece returned: keep only buffers nobody writes to any more.
   */
  keep(bytes: Buffer): Buffer {
    if (bytes.length >= LARGE_PIECE && bytes.buffer.byteLength - bytes.length <= OWN_MEMORY_SLACK) return bytes;
    const copy = this.alloc(bytes.length);
    bytes.copy(copy);
    return copy;
  }

  /** `keep` of each piece, as a new array of exactly their number. */
  keepAll(pieces: readonly Buffer[]): Buffer[] {
    const kept = new Array<Buffer>(pieces.length);
    for (let i = 0; i < pieces.length; i++) kept[i] = this.keep(pieces[i]);
    return kept;
  }
}
