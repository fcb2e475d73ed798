import type { Logger } from 'pino';
import * as prom from 'prom-client';
import type { Subscription } from 'rxjs';
import { EventMethodType, HealingResyncType } from '../api/enums';
import { HealingResync } from '../api/events/healingResync';
import type { ProcessedEvent } from '../api/history';
import type { Controller } from '../controller';
import type { ControllerStateName } from '../../machines/controllerState';
import { registerDbWatcherMetrics, type DbWatcherStatusSource } from './dbWatcherMetrics';

export const DEFAULT_METRICS_PREFIX = 'contiv_controller_';

export interface ControllerMetricsOptions {
  controller: Controller;
  /** Default: a registry of its own, so that two controllers in a process never clash. */
  registry?: prom.Registry;
  /** Default `contiv_controller_`. */
  prefix?: string;
  /** Where a failure to record an event is reported (default: nowhere). */
  logger?: Logger;
  /** The DB watcher, for its bad-key and local-mirror metrics (default: none). */
  dbWatcher?: DbWatcherStatusSource;
}

/** Every state `health().state` can name; the `state` gauge exports each so that absent = 0, not missing. */
const CONTROLLER_STATES: readonly ControllerStateName[] = [
  'awaitingStartupResync',
  'idle',
  'resyncing',
  'updating',
  'reverting',
  'fatal',
  'stopping',
  'stopped',
];

// Handlers and commits of a network agent take from well under a millisecond to seconds.
const SECONDS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

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
 * The controller's Prometheus metrics (docs/rest-and-metrics.md lists them). Per-event facts come
 * from `controller.processed$`; queue depths, state, readiness and the fatal flag are read at
 * scrape time, so they are exact whenever Prometheus looks, without a timer.
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

  private readonly eventsProcessed: prom.Counter<'event' | 'result'>;
  private readonly eventSeconds: prom.Histogram<'event'>;
  private readonly handlerSeconds: prom.Histogram<'handler' | 'operation'>;
  private readonly handlerErrors: prom.Counter<'handler' | 'operation'>;
  private readonly handlerTimeouts: prom.Counter<'handler' | 'operation'>;
  private readonly commitSeconds: prom.Histogram<'type'>;
  private readonly txnErrors: prom.Counter<'event'>;
  private readonly resyncs: prom.Counter<'type'>;
  private readonly healingResyncs: prom.Counter<'type'>;

  constructor(options: ControllerMetricsOptions) {
    const { controller } = options;
    const prefix = options.prefix ?? DEFAULT_METRICS_PREFIX;
    this.registry = options.registry ?? new prom.Registry();
    const registers = [this.registry];

    this.eventsProcessed = new prom.Counter({
      name: `${prefix}events_processed_total`,
      help: 'Events processed, by event name and result (ok or error).',
      labelNames: ['event', 'result'],
      registers,
    });
    this.eventSeconds = new prom.Histogram({
      name: `${prefix}event_processing_seconds`,
      help: 'Time from the start of an event\'s processing to its end (handlers and commit), by event name.',
      labelNames: ['event'],
      buckets: SECONDS_BUCKETS,
      registers,
    });
    this.handlerSeconds = new prom.Histogram({
      name: `${prefix}handler_seconds`,
      help: 'Duration of handler calls, by handler and operation (update, resync, revert).',
      labelNames: ['handler', 'operation'],
      buckets: SECONDS_BUCKETS,
      registers,
    });
    this.handlerErrors = new prom.Counter({
      name: `${prefix}handler_errors_total`,
      help: 'Handler calls that returned an error, by handler and operation (update, resync, revert).',
      labelNames: ['handler', 'operation'],
      registers,
    });
    this.handlerTimeouts = new prom.Counter({
      name: `${prefix}handler_timeouts_total`,
      help: 'Handler calls that did not settle within handlerTimeout, by handler and operation.',
      labelNames: ['handler', 'operation'],
      registers,
    });
    this.commitSeconds = new prom.Histogram({
      name: `${prefix}txn_commit_seconds`,
      help: 'Duration of transaction commits to the southbound, by type (update, full, upstream, downstream).',
      labelNames: ['type'],
      buckets: SECONDS_BUCKETS,
      registers,
    });
    this.txnErrors = new prom.Counter({
      name: `${prefix}txn_errors_total`,
      help: 'Transactions the southbound failed (entirely or for some keys), by event name.',
      labelNames: ['event'],
      registers,
    });
    this.resyncs = new prom.Counter({
      name: `${prefix}resyncs_total`,
      help: 'Resync events processed (healing ones included), by type (full, upstream, downstream).',
      labelNames: ['type'],
      registers,
    });
    this.healingResyncs = new prom.Counter({
      name: `${prefix}healing_resyncs_total`,
      help: 'Healing resyncs processed, by type (after_error: full resync after a failure; periodic: downstream).',
      labelNames: ['type'],
      registers,
    });

    new prom.Gauge({
      name: `${prefix}event_queue_depth`,
      help: 'Events waiting in the main queue.',
      registers,
      collect() {
        this.set(controller.queueDepths().main);
      },
    });
    new prom.Gauge({
      name: `${prefix}followup_queue_depth`,
      help: 'Follow-up events (pushed by handlers) waiting to be processed.',
      registers,
      collect() {
        this.set(controller.queueDepths().followUp);
      },
    });
    new prom.Gauge({
      name: `${prefix}delayed_events`,
      help: 'Events held back until the startup DB resync is processed.',
      registers,
      collect() {
        this.set(controller.queueDepths().delayed);
      },
    });
    new prom.Gauge({
      name: `${prefix}fatal`,
      help: '1 once the controller hit a fatal error (the agent must be restarted), else 0.',
      registers,
      collect() {
        this.set(controller.health().live ? 0 : 1);
      },
    });
    new prom.Gauge({
      name: `${prefix}ready`,
      help: '1 when a resync reached the southbound, the southbound is available and the controller is neither fatal nor stopping, else 0.',
      registers,
      collect() {
        this.set(controller.health().ready ? 1 : 0);
      },
    });
    new prom.Gauge({
      name: `${prefix}southbound_available`,
      help: '1 while commits reach the southbound, 0 during an outage (retried with backoff).',
      registers,
      collect() {
        this.set(controller.health().southboundAvailable ? 1 : 0);
      },
    });
    new prom.Gauge({
      name: `${prefix}state`,
      help: 'The controller machine\'s current state: 1 for the state it is in, 0 for the others.',
      labelNames: ['state'],
      registers,
      collect() {
        const current = controller.health().state;
        this.reset();
        for (const state of CONTROLLER_STATES) this.set({ state }, state === current ? 1 : 0);
        if (!CONTROLLER_STATES.includes(current)) this.set({ state: current }, 1);
      },
    });

    if (options.dbWatcher) registerDbWatcherMetrics(registers, prefix, options.dbWatcher);

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

  private observe({ record, error, durationMs, handlerDurationsMs, commitDurationMs }: ProcessedEvent): void {
    this.eventsProcessed.inc({ event: record.name, result: error ? 'error' : 'ok' });
    this.eventSeconds.observe({ event: record.name }, durationMs / 1000);
    record.handlers.forEach((call, index) => {
      const labels = { handler: call.handler, operation: handlerOperation(record.method, call.revert) };
      const durationMs = handlerDurationsMs[index];
      if (durationMs !== undefined) this.handlerSeconds.observe(labels, durationMs / 1000);
      if (call.error !== undefined) this.handlerErrors.inc(labels);
      if (call.timedOut) this.handlerTimeouts.inc(labels);
    });
    if (commitDurationMs !== undefined) this.commitSeconds.observe({ type: methodLabel(record.method) }, commitDurationMs / 1000);
    if (record.txnError !== undefined) this.txnErrors.inc({ event: record.name });
    if (record.method !== EventMethodType.Update) {
      this.resyncs.inc({ type: methodLabel(record.method) });
      if (record.name === HealingResync.eventName) {
        // A periodic healing is a downstream resync, an after-error one a full resync (HealingResync.method()).
        const type = record.method === EventMethodType.DownstreamResync ? HealingResyncType.Periodic : HealingResyncType.AfterError;
        this.healingResyncs.inc({ type: type === HealingResyncType.Periodic ? 'periodic' : 'after_error' });
      }
    }
  }
}
