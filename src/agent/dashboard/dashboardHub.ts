import type { Logger } from 'pino';
import type { Subscription } from 'rxjs';
import type { Controller } from '../../controller';
import type { DbWatcherStatusSource } from '../dbWatcherMetrics';
import { connectionsView, controllerView } from './controllerView';
import { summarizeEvent } from './eventSummary';
import type { ConnectionsView, ControllerView, StreamMessage, ValuesSnapshot } from './protocol';
import { type OutboxLimits, type StreamOutbox, sseFrame } from './streamOutbox';
import { SouthboundValueStates, type SouthboundStateSource } from './valueStates';

export interface DashboardHubOptions {
  controller: Controller;
  dbWatcher?: DbWatcherStatusSource;
  southbound?: SouthboundStateSource;
  logger: Logger;
  limits: OutboxLimits;
  /**
   * How often queue depths and connections are compared with what was last sent: they change
   * without an event to listen to. One timer for all pages, running only while a page is open.
   */
  sampleIntervalMs: number;
}

const EMPTY_VALUES: ValuesSnapshot = { entries: [], counts: { byState: {}, total: 0, truncated: false }, loading: false };

/**
 * The live sources every open page shares: the controller machine, its processed events, the
 * southbound's value states and the connections. Subscribed while at least one page is open;
 * each change goes to every page's outbox.
 */
export class DashboardHub {
  private readonly outboxes = new Set<StreamOutbox>();
  /** New at every start: the watch runs only while a page is open. */
  private valueStates: SouthboundValueStates | undefined;
  private subscriptions: { unsubscribe(): void }[] = [];
  private sampler: NodeJS.Timeout | undefined;
  private stateCheck: NodeJS.Immediate | undefined;
  private lastState = '';
  private lastConnections = '';

  constructor(private readonly options: DashboardHubOptions) {}

  /** Registers a page's outbox and writes its hello; returns the detach. */
  attach(outbox: StreamOutbox): () => void {
    if (this.outboxes.size === 0) this.start();
    this.outboxes.add(outbox);
    outbox.writeNow(sseFrame(this.hello()));
    return () => {
      if (!this.outboxes.delete(outbox)) return;
      if (this.outboxes.size === 0) void this.stop();
    };
  }

  valuesSnapshot(max: number): ValuesSnapshot {
    return this.valueStates?.snapshot(max) ?? EMPTY_VALUES;
  }

  valueCounts(): ValuesSnapshot['counts'] {
    return this.valueStates?.counts() ?? EMPTY_VALUES.counts;
  }

  async close(): Promise<void> {
    this.outboxes.clear();
    await this.stop();
  }

  private hello(): StreamMessage {
    const { controller, limits } = this.options;
    const state = controllerView(controller);
    const connections = this.connections();
    return {
      type: 'hello',
      serverTime: Date.now(),
      limits: {
        maxPendingEvents: limits.maxPendingEvents,
        maxPendingStates: limits.maxPendingStates,
        maxPendingValues: limits.maxPendingValues,
        maxValuesInSnapshot: limits.maxValuesInSnapshot,
        helloEvents: limits.helloEvents,
      },
      state,
      connections,
      events: controller.eventHistory({ last: limits.helloEvents }).map(summarizeEvent),
      values: this.valuesSnapshot(limits.maxValuesInSnapshot),
    };
  }

  private connections(): ConnectionsView {
    return connectionsView(this.options.dbWatcher, this.valueStates?.status());
  }

  private start(): void {
    const { controller, sampleIntervalMs, southbound, logger } = this.options;
    this.valueStates = southbound && new SouthboundValueStates({ source: southbound, logger });
    this.lastState = JSON.stringify(controllerView(controller));
    this.lastConnections = JSON.stringify(this.connections());
    // Every machine transition goes out (a resync of a few milliseconds must still show).
    const actorSubscription = controller.actor.subscribe({ next: () => this.checkState(), error: () => this.checkState() });
    const processed: Subscription = controller.processed$.subscribe((event) => {
      const summary = summarizeEvent(event.record);
      for (const outbox of this.outboxes) outbox.pushEvent(summary);
      this.scheduleStateCheck();
    });
    this.subscriptions = [actorSubscription, processed];
    if (this.valueStates) {
      this.subscriptions.push({
        unsubscribe: this.valueStates.subscribe({
          changed: (entry, removed) => {
            for (const outbox of this.outboxes) outbox.pushValue(entry, removed);
          },
          reloaded: () => {
            for (const outbox of this.outboxes) outbox.pushValuesReload();
          },
          status: () => this.checkConnections(),
        }),
      });
      this.valueStates.start();
    }
    this.sampler = setInterval(() => {
      this.checkState();
      this.checkConnections();
    }, sampleIntervalMs);
  }

  private async stop(): Promise<void> {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    this.subscriptions = [];
    if (this.sampler) clearInterval(this.sampler);
    if (this.stateCheck) clearImmediate(this.stateCheck);
    this.sampler = undefined;
    this.stateCheck = undefined;
    const valueStates = this.valueStates;
    this.valueStates = undefined;
    await valueStates?.close();
  }

  private scheduleStateCheck(): void {
    this.stateCheck ??= setImmediate(() => {
      this.stateCheck = undefined;
      this.checkState();
    });
  }

  private checkState(): void {
    const state: ControllerView = controllerView(this.options.controller);
    const text = JSON.stringify(state);
    if (text === this.lastState) return;
    this.lastState = text;
    for (const outbox of this.outboxes) outbox.pushState(state);
  }

  private checkConnections(): void {
    const connections = this.connections();
    const text = JSON.stringify(connections);
    if (text === this.lastConnections) return;
    this.lastConnections = text;
    for (const outbox of this.outboxes) outbox.pushConnections(connections);
  }
}
