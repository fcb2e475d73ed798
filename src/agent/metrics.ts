import type { Logger } from 'pino';
import * as prom from 'prom-client';
import type { Subscription } from 'rxjs';
import { EventMethodType } from '../api/enums';
import { HealingResync } from '../api/events/healingResync';
import type { ProcessedEvent } from '../api/history';
import type { Controller } from '../controller';
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

/** What a handler was called for: `revert`, else `update` for an Update event and `resync` for the others. */
function handlerOperation(method: EventMethodType, revert: boolean): 'update' | 'resync' | 'revert' {
  if (revert) return 'revert';
  return method === EventMethodType.Update ? 'update' : 'resync';
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

  private readonly eventsProcessed: prom.Counter<'event' | 'result'>;
  private readonly eventSeconds: prom.Histogram<'event'>;
  private readonly queueWait: prom.Histogram<'queue'>;
  private readonly handlerCalls: prom.Counter<'handler' | 'operation'>;
  private readonly handlerSeconds: prom.Histogram<'handler' | 'operation'>;
  private readonly handlerErrors: prom.Counter<'handler' | 'operation'>;
  private readonly handlerTimeouts: prom.Counter<'handler' | 'operation'>;
  private readonly commitSeconds: prom.Histogram<'type'>;
  private readonly txnErrors: prom.Counter<'event'>;
  private readonly resyncs: prom.Counter<'type'>;
  private readonly healingResyncs: prom.Counter<'type' | 'cause'>;

  constructor(options: ControllerMetricsOptions) {
    const { controller } = options;
    const prefix = options.prefix ?? DEFAULT_METRICS_PREFIX;
    this.registry = options.registry ?? new prom.Registry();
    this.labels = new EventLabels(options.maxEventLabels ?? DEFAULT_MAX_EVENT_LABELS);
    const registers = [this.registry];
    const counter = <L extends string>(name: string, help: string, labelNames: L[]) => new prom.Counter<L>({ name: `${prefix}${name}`, help, labelNames, registers });
    const histogram = <L extends string>(name: string, help: string, labelNames: L[], buckets = SECONDS_BUCKETS) =>
      new prom.Histogram<L>({ name: `${prefix}${name}`, help, labelNames, buckets, registers });

    this.eventsProcessed = counter('events_processed_total', 'Events processed, by event type and result (ok or error).', ['event', 'result']);
    this.eventSeconds = histogram('event_processing_seconds', "Time from the start of an event's processing to its end (handlers and commit), by event type.", ['event']);
    this.queueWait = histogram('queue_wait_seconds', 'Time events waited in their queue before their processing started, by queue (main, follow_up).', ['queue'], WAIT_BUCKETS);
    this.handlerCalls = counter('handler_calls_total', 'Handler calls, by handler and operation (update, resync, revert).', ['handler', 'operation']);
    this.handlerSeconds = histogram('handler_seconds', 'Duration of handler calls, by handler and operation (update, resync, revert).', ['handler', 'operation']);
    this.handlerErrors = counter('handler_errors_total', 'Handler calls that returned an error, by handler and operation (update, resync, revert).', ['handler', 'operation']);
    this.handlerTimeouts = counter('handler_timeouts_total', 'Handler calls that did not settle within handlerTimeout, by handler and operation.', ['handler', 'operation']);
    this.commitSeconds = histogram('txn_commit_seconds', 'Duration of transaction commits to the southbound, by type (update, full, upstream, downstream).', ['type']);
    this.txnErrors = counter('txn_errors_total', 'Transactions the southbound failed (entirely or for some keys), by event type.', ['event']);
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
    this.eventsProcessed.inc({ event, result: error ? 'error' : 'ok' });
    this.eventSeconds.observe({ event }, durationMs / 1000);
    if (queueWaitMs !== undefined) this.queueWait.observe({ queue: record.isFollowUp ? 'follow_up' : 'main' }, queueWaitMs / 1000);
    record.handlers.forEach((call, index) => {
      const labels = { handler: call.handler, operation: handlerOperation(record.method, call.revert) };
      this.handlerCalls.inc(labels);
      const callMs = handlerDurationsMs[index];
      if (callMs !== undefined) this.handlerSeconds.observe(labels, callMs / 1000);
      if (call.error !== undefined) this.handlerErrors.inc(labels);
      if (call.timedOut) this.handlerTimeouts.inc(labels);
    });
    if (commitDurationMs !== undefined) this.commitSeconds.observe({ type: methodLabel(record.method) }, commitDurationMs / 1000);
    if (record.txnError !== undefined) this.txnErrors.inc({ event });
    if (record.method !== EventMethodType.Update) {
      this.resyncs.inc({ type: methodLabel(record.method) });
      // A periodic healing is a downstream resync, any other a full resync (HealingResync.method()).
      if (record.name === HealingResync.eventName) {
        this.healingResyncs.inc({ type: record.method === EventMethodType.DownstreamResync ? 'periodic' : 'after_error', cause: healingCause ?? 'failure' });
      }
    }
  }
}
