import { Root, type Type } from 'protobufjs';
import { KubeStateChange, type CommitRequest, type CommitResult, type Event, type EventHandler, type ProtoMessage, type Southbound, type UpdateOperations } from '../src/api';
import { BenchRunError } from './errors';

/**
 * The workload, shared by the loop, gRPC, latency and memory rows and re-created by the
 * Go anchor (bench/go-anchor): 3 handlers, each putting 2 small protobuf values per pod change and
 * returning a change line; pod changes cycling over 1,000 pods. Message types are defined in code:
 * the benchmark depends on no asset path.
 */
const root = Root.fromJSON({
  nested: {
    bench: {
      nested: {
        Msg: { fields: { name: { type: 'string', id: 1 }, ips: { rule: 'repeated', type: 'string', id: 2 } } },
        Pod: { fields: { name: { type: 'string', id: 1 }, namespace: { type: 'string', id: 2 } } },
      },
    },
  },
});
const MsgType: Type = root.lookupType('bench.Msg');
const PodType: Type = root.lookupType('bench.Pod');

/** Distinct pods the events cycle over: bounds the southbound's state, like a real cluster. */
export const POD_COUNT = 1000;

/** Puts `<handler>/a/<key>` = {name, ips} and `<handler>/b/<key>` = {name} per pod change. */
export class PairHandler implements EventHandler {
  constructor(readonly name: string) {}
  handlesEvent(event: Event): boolean {
    return event instanceof KubeStateChange;
  }
  resync(): void {}
  update(event: Event, txn: UpdateOperations): string {
    const key = (event as KubeStateChange).key;
    txn.put(`${this.name}/a/${key}`, MsgType.create({ name: key, ips: ['10.0.0.1'] }));
    txn.put(`${this.name}/b/${key}`, MsgType.create({ name: key }));
    return `put 2 keys for ${key}`;
  }
  revert(): void {}
}

export function pairHandlers(): PairHandler[] {
  return [new PairHandler('h1'), new PairHandler('h2'), new PairHandler('h3')];
}

/** The one value the floor handlers put: shared, so that the floor rows make no value of their own. */
const FLOOR_VALUE = MsgType.create({ name: 'floor' });

/**
 * What the runtime costs by itself: three handlers that take part in every pod change, as
 * PairHandler does, and do next to nothing. The first puts the shared value under the pod's key
 * (`floor/<key>`), so that every event still commits one value; the others put nothing; none
 * returns a change line. The actor calls, the transaction, the commit, the record and `done()`
 * are the same as with the workload's handlers.
 */
export class FloorHandler implements EventHandler {
  constructor(
    readonly name: string,
    private readonly puts: boolean,
  ) {}
  handlesEvent(event: Event): boolean {
    return event instanceof KubeStateChange;
  }
  resync(): void {}
  update(event: Event, txn: UpdateOperations): string {
    if (this.puts) txn.put(`floor/${(event as KubeStateChange).key}`, FLOOR_VALUE);
    return '';
  }
  revert(): void {}
}

export function floorHandlers(): FloorHandler[] {
  return [new FloorHandler('f1', true), new FloorHandler('f2', false), new FloorHandler('f3', false)];
}

/** How the floor rows name their handlers in row names, and what they do, in the notes. */
export const FLOOR_LABEL = 'handlers that do next to nothing (FloorHandler)';
export const FLOOR_DESCRIPTION = 'handlers that do next to nothing (three taking part, one shared value put per event, no change line)';

/** Which handlers a run uses: the workload, or the floor (what the runtime costs by itself). */
export type HandlerSet = 'workload' | 'floor';

export function handlersOf(set: HandlerSet): EventHandler[] {
  return set === 'floor' ? floorHandlers() : pairHandlers();
}

/** A southbound in the same process whose commit copies the transaction into a Map and answers at once. */
export class CopySouthbound implements Southbound {
  readonly applied = new Map<string, ProtoMessage>();
  commits = 0;
  commit(request: CommitRequest): CommitResult {
    this.commits++;
    for (const [key, value] of request.values) {
      if (value) this.applied.set(key, value);
      else this.applied.delete(key);
    }
    return {};
  }
}

/** Who hears of each finished pod change. */
export interface Tally {
  finished(event: PodChange, error: Error | null | undefined): void;
}

/** A pod change that reports its end (KubeStateChange's own `done` does nothing). */
export class PodChange extends KubeStateChange {
  /** performance.now() when it was pushed, for latency rows. */
  pushedAt = 0;
  constructor(
    key: string,
    value: ProtoMessage,
    private readonly tally: Tally,
  ) {
    super({ key, resource: 'pod', newValue: value });
  }
  override done(error?: Error | null): void {
    this.tally.finished(this, error);
  }
}

/** Counts finished events and keeps the first error. */
export class Counter implements Tally {
  ok = 0;
  failed = 0;
  firstError: Error | undefined;
  finished(_event: PodChange, error: Error | null | undefined): void {
    if (!error) {
      this.ok++;
      return;
    }
    this.failed++;
    this.firstError ??= error;
  }
  /** Throws unless exactly `expected` events finished, all without error. */
  check(expected: number): void {
    if (this.failed > 0) throw new BenchRunError(`${this.failed} of ${expected} events failed, the first with: ${this.firstError?.message}`);
    if (this.ok !== expected) throw new BenchRunError(`${this.ok} events finished, expected ${expected}`);
  }
}

const pods = Array.from({ length: POD_COUNT }, (_, i) => PodType.create({ name: `pod-${i}`, namespace: 'default' }));

/** `count` pod changes, `first` being the index of the first (the key cycles over the pods). */
export function podChanges(count: number, tally: Tally, first = 0): PodChange[] {
  const events: PodChange[] = [];
  for (let i = first; i < first + count; i++) events.push(new PodChange(`pod-${i % POD_COUNT}`, pods[i % POD_COUNT], tally));
  return events;
}
