/**
 * What the dashboard's server sends to its page: the stream's messages and the JSON of its API
 * routes. Types only (no runtime code), shared by the server (src/agent/dashboard/) and the page
 * (dashboard/src/), so that both sides change together.
 */

/** How an event ended, for the timeline and its filter. */
export type EventResult = 'ok' | 'error' | 'reverted';

/** Facts about an event that the timeline shows beside its result (and filters on). */
export type EventTag = 'follow-up' | 'healing' | 'batch';

/** One processed event, small enough to stream: the timeline row. */
export interface EventSummary {
  seqNum: number;
  name: string;
  /** What the event is about (e.g. the kube key), from its description; at most 160 characters. */
  subject?: string;
  /** Epoch milliseconds. */
  start: number;
  end: number;
  result: EventResult;
  tags: EventTag[];
  followUpTo?: number;
  batch?: { first: number; size: number };
  /** The first error (handler or transaction), at most 300 characters. */
  error?: string;
}

/** One value of an event's transaction, its JSON shortened when large. */
export interface DetailValue {
  key: string;
  /** JSON text of the value; absent for a delete. */
  value?: string;
  truncated?: boolean;
}

export interface DetailOperation {
  key: string;
  operation: string;
  prevState: string;
  newState: string;
  prevValue?: string;
  newValue?: string;
  error?: string;
  isRevert: boolean;
  isRetry: boolean;
}

/** The drill-down of one event (`GET /dashboard/api/events/:seqNum`), bounded in size. */
export interface EventDetail {
  summary: EventSummary;
  description: string;
  /** FullResync, DownstreamResync, UpstreamResync or Update. */
  method: string;
  /** In call order: update/resync calls, then the revert calls of a reverted event. */
  handlers: { handler: string; revert: boolean; change?: string; error?: string; timedOut?: boolean }[];
  txnError?: string;
  txn?: {
    /** The southbound's sequence number (64-bit, as a decimal string). */
    seqNum: string;
    txnType: string;
    resyncType?: string;
    start: number;
    stop: number;
    values: DetailValue[];
    /** How many values the transaction had (more than `values` holds when it was cut). */
    valuesTotal: number;
    executed: DetailOperation[];
    executedTotal: number;
  };
}

/** The controller machine, live. */
export interface ControllerView {
  /** Ids of the active state nodes, e.g. `controller.running.loop.idle` (the diagram's node ids). */
  activeStates: string[];
  /** health().state: the loop region while running, else the top-level state. */
  state: string;
  ready: boolean;
  live: boolean;
  southboundAvailable: boolean;
  fatalError?: string;
  queueDepths: { main: number; followUp: number; delayed: number };
  healing: {
    /** The healing region's state: clear, scheduled, queued, outage.waiting, outage.probing (or off when not running). */
    state: string;
    cause?: string;
    /** The next retry delay while the southbound is unavailable. */
    outageBackoffMs: number;
  };
  currentEvent?: { seqNum: number; name: string; startedAt: number };
}

/** The connections the agent depends on. */
export interface ConnectionsView {
  db?: {
    connected: boolean;
    lastResync?: string;
    badKeys: number;
    localMirror?: { inSync: boolean; writeFailures: number };
  };
  southbound?: {
    /** The dashboard's watch of value states: open, being (re)opened, or failing. */
    watch: 'watching' | 'connecting' | 'unreachable';
    error?: string;
    instanceId?: string;
  };
}

/** One value of the southbound with its state. */
export interface ValueEntry {
  key: string;
  state: string;
  error?: string;
  lastOperation?: string;
}

export interface ValueCounts {
  /** Values per state (CONFIGURED, PENDING, FAILED, RETRYING, ...). */
  byState: Record<string, number>;
  total: number;
  /** The southbound holds more values than the agent tracks: counts and list cover the first ones. */
  truncated: boolean;
}

/** Limits the server applies to each stream, shown by the page. */
export interface StreamLimits {
  maxPendingEvents: number;
  maxPendingStates: number;
  maxPendingValues: number;
  maxValuesInSnapshot: number;
  helloEvents: number;
}

export type StreamMessage =
  /** First message of every connection: everything the page shows, as of now. */
  | {
      type: 'hello';
      serverTime: number;
      limits: StreamLimits;
      state: ControllerView;
      connections: ConnectionsView;
      /** The newest events of the history, oldest first. */
      events: EventSummary[];
      values: ValuesSnapshot;
    }
  | { type: 'state'; state: ControllerView }
  | { type: 'connections'; connections: ConnectionsView }
  | { type: 'event'; event: EventSummary }
  /** Value states that changed, one entry per key (the latest), with the new counts. */
  | { type: 'values'; changes: ValueEntry[]; removed: string[]; counts: ValueCounts }
  /** Every value again: after a southbound reconnect, or when the page fell too far behind. */
  | { type: 'valuesSnapshot'; values: ValuesSnapshot }
  /** The page was too slow for the stream: what the server dropped or coalesced meanwhile. */
  | { type: 'behind'; droppedEvents?: { count: number; fromSeq: number; toSeq: number }; coalescedStates: number; valuesResent: boolean };

export interface ValuesSnapshot {
  /** Sorted by key; at most `limits.maxValuesInSnapshot`. */
  entries: ValueEntry[];
  counts: ValueCounts;
  /** The southbound's value states are being fetched (no snapshot yet). */
  loading: boolean;
}

/** `GET /dashboard/api/events?from=&to=`: summaries of a range of the history. */
export interface EventSummaryPage {
  events: EventSummary[];
  /** More events of the range than `limit` allowed. */
  more: boolean;
}

/** The machine diagram (built from machines/controller.machine.ts at build time, laid out by ELK). */
export interface MachineDiagram {
  width: number;
  height: number;
  nodes: DiagramNode[];
  edges: DiagramEdge[];
}

export interface DiagramNode {
  /** The state node id, e.g. `controller.running.loop.idle`. */
  id: string;
  label: string;
  /** `region`: a child of a parallel state; `any`: where the transitions a compound state handles for every child start. */
  kind: 'atomic' | 'compound' | 'parallel' | 'region' | 'final' | 'any';
  parent?: string;
  initial: boolean;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface DiagramEdge {
  id: string;
  source: string;
  /** Same as source for a transition without a state change. */
  target: string;
  /** The trigger and guard, e.g. `loop.phase [resyncing]` or `after delayAfterErrorHealing`. */
  label: string;
  /** The actions it runs, for the tooltip. */
  actions: string[];
  /** A transition that runs actions only (no state change). */
  internal: boolean;
  points: { x: number; y: number }[];
  labelBox?: { x: number; y: number; width: number; height: number };
}
