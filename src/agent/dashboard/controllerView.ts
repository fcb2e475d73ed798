import type { StateValue } from 'xstate';
import type { Controller } from '../../controller';
import type { DbWatcherStatusSource } from '../dbWatcherMetrics';
import type { ConnectionsView, ControllerView } from './protocol';
import type { SouthboundWatchStatus } from './valueStates';

/**
 * The ids of the active state nodes of a state value, parents included: `{running: {loop:
 * 'idle'}}` of machine `controller` gives `controller.running`, `controller.running.loop`,
 * `controller.running.loop.idle`. These are XState's own node ids, which the diagram uses.
 */
export function activeStateIds(value: StateValue, prefix: string): string[] {
  if (typeof value === 'string') return [`${prefix}.${value}`];
  return Object.entries(value).flatMap(([key, child]) => {
    const id = `${prefix}.${key}`;
    return child === undefined ? [id] : [id, ...activeStateIds(child, id)];
  });
}

/** The healing region's state as a dotted path (`outage.waiting`), or `off` outside `running`. */
function healingState(value: StateValue): string {
  const running = typeof value === 'object' ? value.running : undefined;
  const healing = typeof running === 'object' ? running.healing : undefined;
  if (healing === undefined) return 'off';
  if (typeof healing === 'string') return healing;
  return Object.entries(healing)
    .map(([key, child]) => (typeof child === 'string' ? `${key}.${child}` : key))
    .join(', ');
}

/** The controller as the machine view shows it. */
export function controllerView(controller: Controller): ControllerView {
  const snapshot = controller.actor.getSnapshot();
  const health = controller.health();
  const current = controller.currentEvent();
  return {
    activeStates: activeStateIds(snapshot.value, snapshot.machine.id),
    state: health.state,
    ready: health.ready,
    live: health.live,
    southboundAvailable: health.southboundAvailable,
    ...(health.error !== undefined && { fatalError: health.error }),
    queueDepths: controller.queueDepths(),
    healing: {
      state: healingState(snapshot.value),
      ...(snapshot.context.healingCause !== undefined && { cause: snapshot.context.healingCause }),
      outageBackoffMs: snapshot.context.outageBackoffMs,
    },
    ...(current && { currentEvent: { seqNum: current.seqNum, name: current.name, startedAt: current.startedAt } }),
  };
}

/** The DB watcher's and the southbound watch's connection state. */
export function connectionsView(dbWatcher: DbWatcherStatusSource | undefined, southbound: SouthboundWatchStatus | undefined): ConnectionsView {
  const db = dbWatcher?.status(0);
  return {
    ...(db && {
      db: {
        connected: db.connected,
        ...(db.lastResync !== undefined && { lastResync: db.lastResync }),
        badKeys: db.badKeys.current,
        ...(db.localMirror && { localMirror: { inSync: db.localMirror.inSync, writeFailures: db.localMirror.writeFailures } }),
      },
    }),
    ...(southbound && { southbound: { ...southbound } }),
  };
}
