import * as prom from 'prom-client';
import type { Controller } from '../controller';
import type { ControllerStateName } from '../../machines/controllerState';

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

/** The `queue` label values; `delayed` holds events back until the startup resync (they count against `main`). */
export type QueueLabel = 'main' | 'follow_up' | 'delayed';

/**
 * The metrics read from the controller when Prometheus scrapes, so they are exact whenever it
 * looks, without a timer: queues (as controller-runtime's workqueue metrics), the event being
 * processed, health and state.
 */
export function registerControllerGauges(registers: prom.Registry[], prefix: string, controller: Controller, now: () => number): void {
  new prom.Gauge({
    name: `${prefix}queue_depth`,
    help: 'Events waiting, by queue (main, follow_up: pushed by handlers, delayed: held back until the startup resync).',
    labelNames: ['queue'],
    registers,
    collect() {
      const stats = controller.queueStats();
      this.set({ queue: 'main' }, stats.main.depth);
      this.set({ queue: 'follow_up' }, stats.followUp.depth);
      this.set({ queue: 'delayed' }, stats.delayed);
    },
  });
  new prom.Counter({
    name: `${prefix}queue_adds_total`,
    help: 'Events accepted into a queue, by queue (main, follow_up).',
    labelNames: ['queue'],
    registers,
    collect() {
      const stats = controller.queueStats();
      this.reset();
      this.inc({ queue: 'main' }, stats.main.added);
      this.inc({ queue: 'follow_up' }, stats.followUp.added);
    },
  });
  new prom.Counter({
    name: `${prefix}queue_refused_total`,
    help: 'Pushes refused because the queue was full (EventQueueFullError), by queue (main, follow_up).',
    labelNames: ['queue'],
    registers,
    collect() {
      const stats = controller.queueStats();
      this.reset();
      this.inc({ queue: 'main' }, stats.main.refused);
      this.inc({ queue: 'follow_up' }, stats.followUp.refused);
    },
  });
  new prom.Gauge({
    name: `${prefix}longest_running_event_seconds`,
    help: 'How long the event being processed has been running (0 between events): a stuck handler shows here first.',
    registers,
    collect() {
      const current = controller.currentEvent();
      this.set(current ? Math.max(0, now() - current.startedAt) / 1000 : 0);
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
    help: "The controller machine's current state: 1 for the state it is in, 0 for the others.",
    labelNames: ['state'],
    registers,
    collect() {
      const current = controller.health().state;
      this.reset();
      for (const state of CONTROLLER_STATES) this.set({ state }, state === current ? 1 : 0);
      if (!CONTROLLER_STATES.includes(current)) this.set({ state: current }, 1);
    },
  });
}
