import type { Logger } from 'pino';
import * as prom from 'prom-client';
import type { Subscription } from 'rxjs';
import { EventMethodType } from '../api/enums';
import { HealingResync } from '../api/events/healingResync';
import type { ProcessedEvent } from '../api/history';
import type { Controller } from '../controller';
import { BatchedCounter, type CounterSeries } from './batchedCounter';
import { BatchedHistogram, type HistogramSeries } from './batchedHistogram';
import { registerControllerGauges } from './controllerGauges';
import { registerDbWatcherMetrics, type DbWatcherStatusSource } from './dbWatcherMetrics';
import { DEFAULT_MAX_EVENT_LABELS, EventLabels } from './metricLabels';
import { registerProcessMetrics } from './processMetrics';

export const DEFAULT_METRICS_PREFIX = 'contiv_controller_';

export interface ControllerMetricsOptions {
  controller: Controller;
  /** Default: a registry of its own, so that two controllers in a process never clash. */
  registry?: prom.Registry;
  /** Default `contiv_controller_`. */
  prefix?: string;
  /** Where a failure to record an event is reported (default: nowhere). */
  logger?: Logger;
  /** The DB watcher, for its connection, bad-key and local-mirror metrics (default: none). */
  dbWatcher?: DbWatcherStatusSource;
  /**
   * `build_info` and prom-client's default process and Node.js metrics (default false: they
   * describe the whole process, so one registry per process should have them; the agent does).
   */
  processMetrics?: boolean;
  /** Distinct `event` labels of user-defined events before the rest fold into `other` (default 30). */
  maxEventLabels?: number;
}

// Handlers and commits of a network agent take from well under a millisecond to seconds.
const SECONDS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
// Waiting in a queue: from nothing (an idle loop) to minutes behind a resync of a big cluster.
const WAIT_BUCKETS = [0.0001, 0.001, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300];

/** The label value of a resync method: `full`, `downstream`, `upstream` (or `update`). */
export function methodLabel(method: EventMethodType): string {
  switch (method) {
    case EventMethodType.FullResync:
      return 'full';
    case EventMethodType.DownstreamResync:
      return 'downstream';
    case EventMethodType.UpstreamResync:
      return 'upstream';
    case EventMethodType.Update:
      return 'update';
    default:
      return 'unknown';
  }
}

const OPERATIONS = ['update', 'resync', 'revert'] as const;

/** What a handler was called for (an index into OPERATIONS): `revert`, else `update` for an Update event and `resync` for the others. */
function handlerOperation(method: EventMethodType, revert: boolean): number {
  if (revert) return 2;
  return method === EventMethodType.Update ? 0 : 1;
}

/** The series of one handler and operation. */
interface HandlerSeries {
  seconds: HistogramSeries;
  calls: CounterSeries;
  errors: CounterSeries;
  timeouts: CounterSeries;
}

/** The series of one `event` label. */
interface EventSeries {
  seconds: HistogramSeries;
  ok: CounterSeries;
  error: CounterSeries;
  txnErrors: CounterSeries;
}

/**
 * The controller's Prometheus metrics (docs/rest-and-metrics.md lists them), named like
 * controller-runtime's with our prefix. Per-event facts come from `controller.processed$`;
 * queues, the running event, state, readiness and the fatal flag are read at scrape time.
 *
 * ```ts
 * const metrics = new ControllerMetrics({ controller });
 * const text = await metrics.registry.metrics();
 * metrics.close();
 * ```
 */
export class ControllerMetrics {
  readonly registry: prom.Registry;
  private readonly subscription: Subscription;
  private readonly labels: EventLabels;

  /*
   * What is counted or timed for every event goes to series made once per label set (handlers
   * are fixed, event labels bounded by EventLabels): prom-client checks and hashes the labels of
   * every `inc` and `observe`, which made a controller with metrics process half as many events
   * per second as one without (docs/benchmarks.md, "Metrics").
   */
  private readonly eventsProcessed: BatchedCounter<'event' | 'result'>;
  private readonly eventSeconds: BatchedHistogram<'event'>;
  private readonly queueWait: BatchedHistogram<'queue'>;
  private readonly handlerCalls: BatchedCounter<'handler' | 'operation'>;
  private readonly handlerSeconds: BatchedHistogram<'handler' | 'operation'>;
  private readonly handlerErrors: BatchedCounter<'handler' | 'operation'>;
  private readonly handlerTimeouts: BatchedCounter<'handler' | 'operation'>;
  private readonly commitSeconds: BatchedHistogram<'type'>;
  private readonly txnErrors: BatchedCounter<'event'>;
  /** By handler name, one per operation (OPERATIONS' order). */
  private readonly handlerSeries = new Map<string, HandlerSeries[]>();
  /** By `event` label. */
  private readonly eventSeries = new Map<string, EventSeries>();
  /** Commit durations by method; queue waits of the main and the follow-up queue. */
  private readonly commitSeries = new Map<EventMethodType, HistogramSeries>();
  private readonly queueSeries: { main: HistogramSeries; followUp: HistogramSeries };
  private readonly resyncs: prom.Counter<'type'>;
  private readonly healingResyncs: prom.Counter<'type' | 'cause'>;

  constructor(options: ControllerMetricsOptions) {
    const { controller } = options;
    const prefix = options.prefix ?? DEFAULT_METRICS_PREFIX;
    this.registry = options.registry ?? new prom.Registry();
    this.labels = new EventLabels(options.maxEventLabels ?? DEFAULT_MAX_EVENT_LABELS);
    const registers = [this.registry];
    const counter = <L extends string>(name: string, help: string, labelNames: L[]) => new prom.Counter<L>({ name: `${prefix}${name}`, help, labelNames, registers });
    const batchedCounter = <L extends string>(name: string, help: string, labelNames: L[]) => new BatchedCounter<L>({ name: `${prefix}${name}`, help, labelNames, registers });
    const histogram = <L extends string>(name: string, help: string, labelNames: L[], buckets = SECONDS_BUCKETS) =>
      new BatchedHistogram<L>({ name: `${prefix}${name}`, help, labelNames, buckets, registers });

    this.eventsProcessed = batchedCounter('events_processed_total', 'Events processed, by event type and result (ok or error).', ['event', 'result']);
    this.eventSeconds = histogram('event_processing_seconds', "Time from the start of an event's processing to its end (handlers and commit), by event type.", ['event']);
    this.queueWait = histogram('queue_wait_seconds', 'Time events waited in their queue before their processing started, by queue (main, follow_up).', ['queue'], WAIT_BUCKETS);
    this.queueSeries = { main: this.queueWait.series({ queue: 'main' }), followUp: this.queueWait.series({ queue: 'follow_up' }) };
    this.handlerCalls = batchedCounter('handler_calls_total', 'Handler calls, by handler and operation (update, resync, revert).', ['handler', 'operation']);
    this.handlerSeconds = histogram('handler_seconds', 'Duration of handler calls, by handler and operation (update, resync, revert).', ['handler', 'operation']);
    this.handlerErrors = batchedCounter('handler_errors_total', 'Handler calls that returned an error, by handler and operation (update, resync, revert).', ['handler', 'operation']);
    this.handlerTimeouts = batchedCounter('handler_timeouts_total', 'Handler calls that did not settle within handlerTimeout, by handler and operation.', ['handler', 'operation']);
    this.commitSeconds = histogram('txn_commit_seconds', 'Duration of transaction commits to the southbound, by type (update, full, upstream, downstream).', ['type']);
    this.txnErrors = batchedCounter('txn_errors_total', 'Transactions the southbound failed (entirely or for some keys), by event type.', ['event']);
    this.resyncs = counter('resyncs_total', 'Resync events processed (healing ones included), by type (full, upstream, downstream).', ['type']);
    this.healingResyncs = counter(
      'healing_resyncs_total',
      'Healing resyncs processed, by type (after_error: a full resync; periodic: downstream) and cause (failure, outage, southbound_reset, periodic).',
      ['type', 'cause'],
    );

    registerControllerGauges(registers, prefix, controller, () => Date.now());
    if (options.dbWatcher) registerDbWatcherMetrics(registers, prefix, options.dbWatcher);
    if (options.processMetrics) registerProcessMetrics(this.registry, prefix);

    const logger = options.logger;
    this.subscription = controller.processed$.subscribe({
      next: (processed) => {
        // processed$ is emitted from inside the event loop: whatever goes wrong here must not reach it.
        try {
          this.observe(processed);
        } catch (error) {
          logger?.warn({ err: error, event: processed.record.name }, 'event not recorded in the metrics');
        }
      },
    });
  }

  /** Stops observing the controller; the registry keeps the values (a last scrape still sees them). */
  close(): void {
    this.subscription.unsubscribe();
  }

  private observe({ record, error, durationMs, handlerDurationsMs, commitDurationMs, queueWaitMs, healingCause }: ProcessedEvent): void {
    const event = this.labels.of(record.name);
    const eventSeries = this.eventSeries.get(event) ?? this.newEventSeries(event);
    (error ? eventSeries.error : eventSeries.ok).pending++;
    eventSeries.seconds.observe(durationMs / 1000);
    if (queueWaitMs !== undefined) (record.isFollowUp ? this.queueSeries.followUp : this.queueSeries.main).observe(queueWaitMs / 1000);
    const calls = record.handlers;
    for (let index = 0; index < calls.length; index++) {
      const call = calls[index];
      const series = (this.handlerSeries.get(call.handler) ?? this.newHandlerSeries(call.handler))[handlerOperation(record.method, call.revert)];
      series.calls.pending++;
      const callMs = handlerDurationsMs[index];
      if (callMs !== undefined) series.seconds.observe(callMs / 1000);
      if (call.error !== undefined) series.errors.pending++;
      if (call.timedOut) series.timeouts.pending++;
    }
    if (commitDurationMs !== undefined) (this.commitSeries.get(record.method) ?? this.newCommitSeries(record.method)).observe(commitDurationMs / 1000);
    if (record.txnError !== undefined) eventSeries.txnErrors.pending++;
    if (record.method !== EventMethodType.Update) {
      this.resyncs.inc({ type: methodLabel(record.method) });
      // A periodic healing is a downstream resync, any other a full resync (HealingResync.method()).
      if (record.name === HealingResync.eventName) {
        this.healingResyncs.inc({ type: record.method === EventMethodType.DownstreamResync ? 'periodic' : 'after_error', cause: healingCause ?? 'failure' });
      }
    }
  }

  private newEventSeries(event: string): EventSeries {
    const series: EventSeries = {
      seconds: this.eventSeconds.series({ event }),
      ok: this.eventsProcessed.series({ event, result: 'ok' }),
      error: this.eventsProcessed.series({ event, result: 'error' }),
      txnErrors: this.txnErrors.series({ event }),
    };
    this.eventSeries.set(event, series);
    return series;
  }

  private newHandlerSeries(handler: string): HandlerSeries[] {
    const series = OPERATIONS.map((operation) => {
      const labels = { handler, operation };
      return { seconds: this.handlerSeconds.series(labels), calls: this.handlerCalls.series(labels), errors: this.handlerErrors.series(labels), timeouts: this.handlerTimeouts.series(labels) };
    });
    this.handlerSeries.set(handler, series);
    return series;
  }

  private newCommitSeries(method: EventMethodType): HistogramSeries {
    const series = this.commitSeconds.series({ type: methodLabel(method) });
    this.commitSeries.set(method, series);
    return series;
  }
}
