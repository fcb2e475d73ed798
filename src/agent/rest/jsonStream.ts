import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { stringifyJson } from './json';

/** Serialising work done in one turn of the event loop before it lets other requests in. */
const SLICE_MS = 2;
/** Bytes (about) of one chunk written to the socket. */
const CHUNK_CHARS = 64 * 1024;

/**
 * A JSON array written in slices: between two slices the event loop serves other requests, so a
 * page of big records costs the probes (`/livez`) at most one slice of latency, where one
 * `JSON.stringify` of the page would block them for all of it.
 */
export function jsonArrayStream(items: readonly unknown[]): Readable {
  async function* slices(): AsyncGenerator<string> {
    let chunk = '[';
    let sliceStart = performance.now();
    for (let index = 0; index < items.length; index++) {
      chunk += (index > 0 ? ',' : '') + stringifyJson(items[index]);
      if (chunk.length >= CHUNK_CHARS) {
        yield chunk;
        chunk = '';
      }
      if (performance.now() - sliceStart >= SLICE_MS) {
        await nextTurn();
        sliceStart = performance.now();
      }
    }
    yield `${chunk}]`;
  }
  return Readable.from(slices(), { objectMode: false });
}
