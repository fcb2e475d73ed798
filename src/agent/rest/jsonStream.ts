import { Readable } from 'node:stream';
import { stringifyJson } from './json';

/** Serialising done in one turn of the event loop, all replies together, before it serves anything else. */
const TURN_MS = 2;
/** Bytes (about) of one chunk written to the socket. */
const CHUNK_BYTES = 64 * 1024;
const OPEN = Buffer.from('[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']');

/** Runs a piece of serialising work; true when it has more to do. */
type Job = () => boolean;

/**
 * One budget for every reply being serialised: the jobs take turns (round robin), and together
 * they work at most TURN_MS before the event loop gets to its I/O again. So 50 big replies at
 * once delay a probe by one turn, not by 50 slices.
 */
class SerialisingTurns {
  private readonly jobs: Job[] = [];
  private scheduled = false;

  add(job: Job): void {
    this.jobs.push(job);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.run());
  }

  private run(): void {
    this.scheduled = false;
    const started = performance.now();
    while (this.jobs.length > 0 && performance.now() - started < TURN_MS) {
      const job = this.jobs.shift() as Job;
      if (job()) this.jobs.push(job);
    }
    if (this.jobs.length > 0) this.schedule();
  }
}

const turns = new SerialisingTurns();

/**
 * A JSON array written in slices that share the event loop fairly (SerialisingTurns): a page of
 * big records costs the probes (`/livez`) at most one turn of latency, where one
 * `JSON.stringify` of the page would block them for all of it. Respects backpressure: a client
 * that reads slowly does not make the agent buffer its reply.
 */
export function jsonArrayStream<T>(items: readonly T[], toJson: (item: T) => Buffer = (item) => Buffer.from(stringifyJson(item))): Readable {
  let index = 0;
  let active = false;
  const stream = new Readable({
    read() {
      if (active) return;
      active = true;
      turns.add(job);
    },
  });
  const job: Job = () => {
    const parts: Buffer[] = index === 0 ? [OPEN] : [];
    let bytes = 0;
    const started = performance.now();
    // Short pieces, so that the turn's budget is shared among the replies.
    while (index < items.length && bytes < CHUNK_BYTES && performance.now() - started < TURN_MS / 4) {
      const json = toJson(items[index]);
      if (index > 0) parts.push(COMMA);
      parts.push(json);
      bytes += json.length + 1;
      index++;
    }
    if (index >= items.length) {
      active = false;
      parts.push(CLOSE);
      stream.push(Buffer.concat(parts));
      stream.push(null);
      return false;
    }
    if (stream.push(Buffer.concat(parts))) return true;
    active = false; // the client reads slowly: wait for read() to ask for more
    return false;
  };
  return stream;
}
