/**
 * Model-based tests: the controller machine (machines/controller.machine.ts) is the model. Its
 * shortest paths are walked with @xstate/graph, then every feasible transition of every reached
 * state is added as "shortest path to the source + that event" (transition coverage). Each path
 * is replayed on the real runtime (createController + InMemorySouthbound + scripted handlers):
 * STEPS maps each machine event to what the test does to the runtime. After every step the test
 * checks that the runtime's machine took exactly the path's event, reached the path's state, and
 * that health() says what that state means.
 *
 * - `feasibleEvents` lists, per model state, only the events the runtime can send as one single
 *   event from there (e.g. a failing event processed from 'idle' always sends loop.phase
 *   'updating' before loop.needsHealing, so needsHealing is not offered in 'idle'). The machine
 *   itself accepts more; those sequences are covered by the combination of single steps.
 *   Not walked: `healing.retry` (needs a full main queue at the moment the healing is due),
 *   periodic healing (off by default) and history trimming (a self-loop).
 * - States are keyed by value, `startupResyncDone` and the fatal reason: all that health() shows.
 * - The runtime also sends loop notifications that the machine ignores where it is (loop.phase
 *   while 'fatal' or 'stopping'); the replay skips events the model state does not react to.
 *
 * The machine's delays (startup deadline, healing delay) are driven with Jest's fake setTimeout,
 * which XState's default clock uses: a delayed transition happens exactly at the step that
 * advances the clock. Promises, setImmediate, Date and performance stay real.
 *
 * The root-level invokes of the machine gave getShortestPaths no trouble: the walk uses the inert
 * stand-ins of the definition; the runtime gets the real actors through provide().
 */
import { getShortestPaths, type StatePath } from '@xstate/graph';
import { getNextSnapshot, type AnyEventObject, type AnyStateNode, type SnapshotFrom } from 'xstate';
import { resolveControllerConfig } from '../../src/api/config';
import { controllerMachine } from '../../machines/controller.machine';
import type { ControllerMachineEvent, LoopPhase } from '../../machines/controller.events';
import { controllerStateName, type ControllerStateName } from '../../machines/controllerState';
import {
  ModelDriver,
  RevertOnFailureChange,
  emptyResync,
  modelFatalError,
  nextTurn,
  podAdded,
  until,
} from '../support/modelDriver';

type ModelSnapshot = SnapshotFrom<typeof controllerMachine>;
type ModelEvent = ControllerMachineEvent | { type: typeof STARTUP_DEADLINE } | { type: typeof HEALING_DUE } | { type: typeof OUTAGE_RETRY_DUE };
type ModelPath = StatePath<ModelSnapshot, ModelEvent | AnyEventObject>;

const CONFIG = resolveControllerConfig({
  startupResyncDeadline: 30_000,
  delayAfterErrorHealing: 1_000,
  // Far beyond what a path advances the clock: trimming never interleaves with a path.
  eventHistoryTrimInterval: 3_600_000,
  enableRetry: false,
  // The walk drives one event at a time and expects each to be finished before the next starts.
  coalesceUpdates: false,
});
const HANDLER_NAMES = ['first', 'second'];

// Delayed transitions are events named after the delay and the state that waits.
const STARTUP_DEADLINE = 'xstate.after.startupResyncDeadline.controller.running.loop.awaitingStartupResync';
const HEALING_DUE = 'xstate.after.delayAfterErrorHealing.controller.running.healing.scheduled';
const OUTAGE_RETRY_DUE = 'xstate.after.outageBackoff.controller.running.healing.outage.waiting';

const BLOCKED_PHASES: readonly ControllerStateName[] = ['resyncing', 'updating', 'reverting'];

interface RunningValue {
  running: { loop: ControllerStateName; healing: 'clear' | 'scheduled' | 'queued' | { outage: 'waiting' | 'probing' } };
}

type HealingName = 'clear' | 'scheduled' | 'queued' | 'outage.waiting' | 'outage.probing';

function healingOf(state: ModelSnapshot): HealingName {
  const { healing } = (state.value as unknown as RunningValue).running;
  return typeof healing === 'string' ? healing : `outage.${healing.outage}`;
}

const unavailable = (): ModelEvent => ({ type: 'loop.southboundUnavailable', error: new Error('model: southbound unavailable') });

const phase = (p: LoopPhase): ModelEvent => ({ type: 'loop.phase', phase: p });

/** The events the runtime can send as one single event from `state` (see the file comment). */
function feasibleEvents(state: ModelSnapshot): ModelEvent[] {
  if (state.value === 'stopped') return [];
  if (state.value === 'stopping') return [{ type: 'controller.stopped' }];
  if (state.value === 'fatal') return [{ type: 'controller.close' }];
  const { loop } = (state.value as unknown as RunningValue).running;
  const healing = healingOf(state);
  const events: ModelEvent[] = [{ type: 'controller.close' }];
  if (loop === 'awaitingStartupResync') return [...events, phase('resyncing'), { type: STARTUP_DEADLINE }];
  const holding = BLOCKED_PHASES.includes(loop);
  if (holding) events.push({ type: 'loop.fatal', error: modelFatalError() });
  // Before the first DBResync is done, finishing it always sends loop.startupResyncDone first.
  if (!state.context.startupResyncDone) return [...events, { type: 'loop.startupResyncDone', committed: true }];
  // A queued healing resync is the next event the loop takes: it starts before anything else.
  if (healing === 'queued') return loop === 'resyncing' ? [...events, { type: 'loop.healingStarted' }] : events;
  // While probing, the queued healing resync finds the southbound still unavailable, or back.
  if (healing === 'outage.probing') {
    return loop === 'resyncing' ? [...events, unavailable(), { type: 'loop.southboundAvailable', resynced: true }] : events;
  }
  for (const next of ['idle', 'resyncing', 'updating'] as const) if (next !== loop) events.push(phase(next));
  // A revert-on-failure change announces 'updating' before 'reverting'.
  if (loop === 'updating') events.push(phase('reverting'));
  if (healing === 'clear' && (loop === 'resyncing' || loop === 'updating')) {
    events.push({ type: 'loop.needsHealing', error: new Error('model: best-effort handler failure') });
  }
  // A commit finds the southbound unavailable: an outage begins (a scheduled healing is folded into it).
  if ((healing === 'clear' || healing === 'scheduled') && (loop === 'resyncing' || loop === 'updating')) events.push(unavailable());
  // The healing resync is pushed to the main queue; it must wait behind a held event.
  if (healing === 'scheduled' && holding) events.push({ type: HEALING_DUE });
  if (healing === 'outage.waiting' && holding) events.push({ type: OUTAGE_RETRY_DUE });
  return events;
}

/** Makes the loop leave the held event (if any) for a new one that holds in phase `next`. */
function enterPhase(driver: ModelDriver, next: LoopPhase): void {
  if (next === 'resyncing') driver.push(emptyResync(), 'block');
  if (next === 'updating') driver.push(podAdded(), 'block');
  if (next === 'reverting') driver.push(new RevertOnFailureChange(), 'revertBlocks');
  if (driver.holding) driver.release();
}

type Step = (driver: ModelDriver, event: AnyEventObject, from: ModelSnapshot) => void | Promise<void>;

/** Machine event -> what the test does to the real runtime so that the runtime sends that event. */
const STEPS: Record<string, Step> = {
  'xstate.init': (driver) => driver.controller.start(),
  'loop.phase': (driver, event) => enterPhase(driver, phaseOf(event)),
  // A second DBResync waits behind the first, so the loop stays in 'resyncing' once startup is done.
  'loop.startupResyncDone': (driver) => {
    driver.push(emptyResync(), 'block');
    driver.release();
  },
  // A failing event of the current phase, then one that holds in the same phase.
  'loop.needsHealing': (driver, _event, from) => {
    const resyncing = (from.value as unknown as RunningValue).running.loop === 'resyncing';
    driver.push(resyncing ? emptyResync() : podAdded(), 'fail');
    driver.push(resyncing ? emptyResync() : podAdded(), 'block');
    driver.release();
  },
  // The machine pushed HealingResync{AfterError}; it is next once the held event is done.
  'loop.healingStarted': (driver) => {
    driver.healingBehaviour = 'block';
    driver.release();
  },
  'loop.fatal': (driver) => driver.failHeld(modelFatalError()),
  // Outside an outage: an event whose handler makes the southbound unavailable, so its commit
  // fails, then one that holds in the same phase. During an outage (probing): the healing resync
  // the machine queued finds the southbound still unavailable, and a resync holds after it.
  'loop.southboundUnavailable': (driver, _event, from) => {
    if (healingOf(from) === 'outage.probing') {
      driver.healingBehaviour = 'pass';
      driver.push(emptyResync(), 'block');
    } else {
      const resyncing = (from.value as unknown as RunningValue).running.loop === 'resyncing';
      driver.push(resyncing ? emptyResync() : podAdded(), 'unavailable');
      driver.push(resyncing ? emptyResync() : podAdded(), 'block');
    }
    driver.release();
  },
  // The southbound is back: the held resync's commit goes through (a full resync ends the outage).
  'loop.southboundAvailable': (driver) => {
    driver.southbound.setUnavailable(false);
    driver.healingBehaviour = 'pass';
    driver.push(emptyResync(), 'block');
    driver.release();
  },
  [STARTUP_DEADLINE]: () => {
    jest.advanceTimersByTime(CONFIG.startupResyncDeadline);
  },
  [HEALING_DUE]: () => {
    jest.advanceTimersByTime(CONFIG.delayAfterErrorHealing);
  },
  [OUTAGE_RETRY_DUE]: (_driver, _event, from) => {
    jest.advanceTimersByTime(from.context.outageBackoffMs);
  },
  // Not awaited: the Shutdown holds in the handler, so 'stopping' stays observable.
  'controller.close': (driver) => {
    driver.closing = driver.controller.close();
  },
  'controller.stopped': async (driver) => {
    driver.releaseAll();
    await driver.closing;
  },
};

/**
 * What health() shows of a state: its value, startupResyncDone and the fatal reason. The graph
 * keeps one snapshot per key, so everything a step asserts must be part of the key.
 */
function stateKey(state: ModelSnapshot): string {
  // Not the outage backoff: it doubles at each failed retry, which would make the space infinite.
  return JSON.stringify([state.value, state.context.startupResyncDone, state.context.resyncCommitted, state.context.fatalReason ?? null]);
}

function phaseOf(event: AnyEventObject): LoopPhase {
  return (event as { type: string; phase?: LoopPhase }).phase as LoopPhase;
}

function eventLabel(event: AnyEventObject): string {
  return event.type === 'loop.phase' ? `loop.phase(${phaseOf(event)})` : event.type;
}

function stateLabel(state: ModelSnapshot): string {
  const name = controllerStateName(state);
  if (typeof state.value === 'string') return state.context.fatalReason === undefined ? name : `${name} (after fatal)`;
  return `${name}${state.context.startupResyncDone ? '' : ' (before startup resync)'}, healing ${healingOf(state)}`;
}

function expectedHealth(state: ModelSnapshot) {
  const name = controllerStateName(state);
  const live = name !== 'fatal' && state.context.fatalReason === undefined;
  const southboundAvailable = typeof state.value === 'string' || !healingOf(state).startsWith('outage');
  return {
    state: name,
    live,
    ready: live && state.context.resyncCommitted && southboundAvailable && name !== 'stopping' && name !== 'stopped',
    southboundAvailable,
    ...(state.context.fatalReason !== undefined && { error: state.context.fatalReason }),
  };
}

/** The runtime is at rest in `name`: a handler call holds wherever the loop is mid-event. */
function atRest(driver: ModelDriver, name: ControllerStateName): boolean {
  if (BLOCKED_PHASES.includes(name)) return driver.holding;
  // From 'fatal' the Shutdown is finished at once (the loop is aborting): 'stopping' is only passed through.
  if (name === 'stopping') return driver.holding || driver.controller.health().state === 'stopped';
  if (name === 'idle') return !driver.holding;
  return true;
}

/**
 * Whether the model takes a step for `event` in `state`. The runtime also sends loop
 * notifications that the machine ignores where it is (loop.phase while 'fatal' or 'stopping');
 * those are not part of any path and are skipped.
 */
function reactsTo(state: ModelSnapshot, event: AnyEventObject): boolean {
  return event.type === 'xstate.init' || state.can(event as ControllerMachineEvent);
}

/** One shortest path to every state the runtime can reach (keyed by `stateKey`). */
const shortestPaths: ModelPath[] = getShortestPaths(controllerMachine, {
  input: { config: CONFIG, handlerNames: HANDLER_NAMES },
  events: feasibleEvents as (state: ModelSnapshot) => ControllerMachineEvent[],
  serializeState: stateKey,
}) as ModelPath[];

/**
 * Transition coverage: every feasible transition of every reached state, each as the shortest
 * path to its source state plus that one event. The shortest paths are all among them.
 */
const transitionPaths: ModelPath[] = [
  shortestPaths.find((path) => path.steps.length === 1) as ModelPath,
  ...shortestPaths.flatMap((path) =>
    feasibleEvents(path.state).map((event) => ({
      ...path,
      state: getNextSnapshot(controllerMachine, path.state, event as ControllerMachineEvent),
      steps: [...path.steps, { event, state: getNextSnapshot(controllerMachine, path.state, event as ControllerMachineEvent) }],
    })),
  ),
];

async function replay(path: ModelPath): Promise<void> {
  const driver = new ModelDriver(CONFIG);
  let cursor = 0;
  /** The index of the next received event that `state` reacts to. */
  const nextReaction = (state: ModelSnapshot): number => {
    for (let index = cursor; index < driver.received.length; index++) if (reactsTo(state, driver.received[index].event)) return index;
    return -1;
  };
  try {
    let from = path.steps[0].state;
    for (const step of path.steps) {
      const name = controllerStateName(step.state);
      const action = STEPS[step.event.type];
      if (!action) throw new Error(`no runtime step for machine event ${step.event.type}`);
      await action(driver, step.event, from);
      await until(
        () => nextReaction(from) >= 0 && atRest(driver, name),
        () =>
          `${eventLabel(step.event)} -> ${stateLabel(step.state)}; since the previous step the machine received: ` +
          `[${driver.received.slice(cursor).map((r) => eventLabel(r.event)).join(', ')}], health ${JSON.stringify(driver.controller.health())}`,
      );

      const index = nextReaction(from);
      const { event, after } = driver.received[index];
      cursor = index + 1;
      const context = `after ${eventLabel(step.event)} (expected ${stateLabel(step.state)})`;
      expect({ context, event: eventLabel(event) }).toEqual({ context, event: eventLabel(step.event) });
      expect({ context, value: after?.value, health: after?.health }).toEqual({ context, value: step.state.value, health: expectedHealth(step.state) });
      // And it stays there while the test looks (but for 'stopping' after 'fatal', passed through).
      if (!(name === 'stopping' && from.value === 'fatal')) {
        expect({ context, health: driver.controller.health() }).toEqual({ context, health: expectedHealth(step.state) });
      }
      from = step.state;
    }
    // Let anything that would follow happen: the runtime must not take a step the path does not,
    // except that 'stopping' after 'fatal' is passed through (the aborting loop finishes the
    // Shutdown at once), so there the runtime goes on to 'stopped' by itself.
    for (let turn = 0; turn < 20; turn++) await nextTurn();
    const extra = driver.received.slice(cursor).filter(({ event }) => reactsTo(from, event));
    const passesThrough = from.value === 'stopping' && from.context.fatalReason !== undefined;
    expect(extra.map(({ event }) => eventLabel(event))).toEqual(passesThrough ? ['controller.stopped'] : []);
  } finally {
    driver.releaseAll();
    await (driver.closing ?? driver.controller.close());
  }
}

function pathLabel(path: ModelPath): string {
  const events = path.steps.slice(1).map((step) => eventLabel(step.event));
  return `${stateLabel(path.state)} by ${events.join(', ') || 'starting'}`;
}

describe('controller machine model, replayed on the real runtime', () => {
  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'clearImmediate', 'queueMicrotask', 'Date', 'performance', 'hrtime'] });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  test('the delayed events the walk sends are transitions of the machine', () => {
    const eventTypes = new Set<string>();
    const collect = (node: AnyStateNode): void => {
      for (const type of node.transitions.keys()) eventTypes.add(type);
      for (const child of Object.values(node.states)) collect(child);
    };
    collect(controllerMachine.root);
    expect(eventTypes).toContain(STARTUP_DEADLINE);
    expect(eventTypes).toContain(HEALING_DUE);
    expect(eventTypes).toContain(OUTAGE_RETRY_DUE);
  });

  test('every machine event the walk uses has a runtime step', () => {
    const used = new Set(transitionPaths.flatMap((path) => path.steps.map((step) => step.event.type)));
    expect([...used].filter((type) => !(type in STEPS))).toEqual([]);
    expect([...used].sort()).toEqual(Object.keys(STEPS).sort());
  });

  test('the shortest paths reach every controller state, including every healing state', () => {
    const reached = new Set(shortestPaths.map((path) => controllerStateName(path.state)));
    const all: ControllerStateName[] = ['awaitingStartupResync', 'idle', 'resyncing', 'updating', 'reverting', 'fatal', 'stopping', 'stopped'];
    expect([...reached].sort()).toEqual([...all].sort());
    const healing = new Set(shortestPaths.filter((path) => typeof path.state.value !== 'string').map((path) => healingOf(path.state)));
    expect([...healing].sort()).toEqual(['clear', 'outage.probing', 'outage.waiting', 'queued', 'scheduled']);
  });

  test.each(transitionPaths.map((path) => [pathLabel(path), path] as const))(
    'reaches %s: the runtime takes exactly these steps and reports the same states',
    async (_label, path) => {
      await replay(path);
    },
  );
});
