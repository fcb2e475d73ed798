import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'pino';
import type { Observable } from 'rxjs';
import { Subject } from 'rxjs/internal/Subject'; // not 'rxjs': see src/loop/eventQueue.ts
import { createActor, type Actor, type InspectionEvent, type Observer } from 'xstate';
import { systemClock, type ControllerClock } from './api/clock';
import { resolveControllerConfig, type ControllerConfig } from './api/config';
import { HealingResyncType } from './api/enums';
import type { Event, EventLoop } from './api/event';
import { HealingResync, type HealingCause } from './api/events/healingResync';
import { Shutdown } from './api/events/shutdown';
import { BlockingEventInLoopError, ControllerError, InvalidEventError } from './api/errors';
import { finish } from './loop/eventQueue';
import type { ExternalConfigSource } from './api/externalConfig';
import type { EventHandler } from './api/handler';
import type { EventHistoryQuery, EventRecord, ProcessedEvent } from './api/history';
import { MAX_COMMITS_IN_FLIGHT, type Southbound } from './api/southbound';
import type { ConfigRetriever } from './api/transaction';
import type { ProtoMessage } from './api/types';
import { ConfigState } from './loop/configState';
import { EventHistory } from './loop/eventHistory';
import { containedStream } from './loop/containedObservable';
import { controllerLogger, EventLog } from './loop/eventLog';
import { checkEvent, checkEventData } from './loop/eventValidation';
import { eventLoopLogic } from '../actors/eventLoop';
import { EventProcessor, type CurrentEvent, type LoopFrame } from './loop/eventProcessor';
import { EventQueue, type QueueCounts } from './loop/eventQueue';
import { handlerActorLogic } from '../actors/handlerActor';
import { transactionActorLogic } from '../actors/transactionActor';
import { controllerMachine, type ControllerMachine } from '../machines/controller.machine';
import { controllerStateName, type ControllerStateName } from '../machines/controllerState';

export interface ControllerOptions {
  /** In dependency order: if B depends on A, A comes first. */
  handlers: readonly EventHandler[];
  southbound: Southbound;
  /** Sources of external config besides the remote DB; later ones take precedence when merged. */
  externalSources?: readonly ExternalConfigSource[];
  config?: Partial<ControllerConfig>;
  logger?: Logger;
  /** Passed to XState's createActor (e.g. the Stately inspector's `inspect`). */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
  /**
   * Timers and time of the controller: the machine's delays, handler and commit timeouts, the
   * history's clock. XState's SimulatedClock lets tests move time without sleeping.
   */
  clock?: ControllerClock;
}

export interface ControllerHealth {
  state: ControllerStateName;
  /**
   * A resync reached the southbound (the startup resync, or a later one when that failed), the
   * southbound is available, and the controller is neither fatal nor closing.
   */
  ready: boolean;
  /** Not fatal. */
  live: boolean;
  /** False during an outage of the southbound (commits are retried with backoff). */
  southboundAvailable: boolean;
  /** The fatal reason. */
  error?: string;
}

export interface QueueDepths {
  main: number;
  followUp: number;
  /** Held back until the first DBResync. */
  delayed: number;
}

/** Depths and cumulative counts of the queues, for metrics. */
export interface QueueStats {
  /** The main queue; its counts include events held back before the first DBResync. */
  main: QueueCounts & { depth: number };
  followUp: QueueCounts & { depth: number };
  delayed: number;
}

export interface Controller extends EventLoop, ConfigRetriever {
  /** Starts the machine and its actors; resolves once the loop runs (not after the first DBResync). */
  start(): Promise<void>;
  /** Queues an event; throws at once when the queue is full or the controller is closed. */
  pushEvent(event: Event): void;
  getConfig(key: string): ProtoMessage | undefined;
  /** Sends a Shutdown event through the handlers, then stops every actor and timer. */
  close(): Promise<void>;
  eventHistory(query?: EventHistoryQuery): EventRecord[];
  health(): ControllerHealth;
  queueDepths(): QueueDepths;
  queueStats(): QueueStats;
  /** The event being processed, if any: how long it has been running is `now - startedAt`. */
  currentEvent(): CurrentEvent | undefined;
  /**
   * Every finished event with its timings (for metrics); completes on close. Timings are taken
   * only while someone subscribes, so an unobserved controller pays nothing for it.
   */
  readonly processed$: Observable<ProcessedEvent>;
  readonly config: Readonly<ControllerConfig>;
  /** The running controller machine. */
  readonly actor: Actor<ControllerMachine>;
}

/** A handler list the controller cannot work with. */
export class InvalidHandlerError extends ControllerError {}

/** A southbound the controller cannot work with. */
export class InvalidSouthboundError extends ControllerError {}

/** How many coalesced commits the southbound takes at once. */
function checkSouthbound(southbound: Southbound): number {
  if (typeof (southbound as Partial<Southbound> | null)?.commit !== 'function') throw new InvalidSouthboundError('the southbound has no commit() method');
  const depth = southbound.maxCommitsInFlight ?? 1;
  if (!Number.isInteger(depth) || depth < 1 || depth > MAX_COMMITS_IN_FLIGHT) {
    throw new InvalidSouthboundError(`the southbound's maxCommitsInFlight is ${String(depth)}: an integer from 1 to ${MAX_COMMITS_IN_FLIGHT} is required`);
  }
  return depth;
}

function checkHandlers(handlers: readonly EventHandler[]): Map<string, EventHandler> {
  const byName = new Map<string, EventHandler>();
  for (const handler of handlers) {
    const name = (handler as Partial<EventHandler> | null)?.name;
    if (typeof name !== 'string' || name === '') throw new InvalidHandlerError('every event handler needs a non-empty string `name`');
    for (const method of ['handlesEvent', 'resync', 'update', 'revert'] as const) {
      if (typeof handler[method] !== 'function') throw new InvalidHandlerError(`event handler "${name}" has no ${method}() method`);
    }
    if (byName.has(name)) throw new InvalidHandlerError(`two event handlers are named "${name}"`);
    byName.set(name, handler);
  }
  return byName;
}

function isBlocking(event: Event): boolean {
  try {
    return event.isBlocking() === true;
  } catch (error) {
    throw new InvalidEventError(`isBlocking() of "${event.getName()}" failed`, { cause: error });
  }
}

/**
 * pino is loaded here, when the embedder passed no logger, not with the module: it is about a
 * third of the main entry's load time, and an embedder usually brings a logger of its own.
 */
function defaultLogger(): Logger {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when no logger is given.
  const pino = require('pino') as typeof import('pino');
  return pino({ name: 'controller' });
}

/** Creates the controller: the machine with its actors, the queues and the state they share. */
export function createController(options: ControllerOptions): Controller {
  const config = resolveControllerConfig(options.config);
  const handlersByName = checkHandlers(options.handlers);
  const commitsInFlight = checkSouthbound(options.southbound);
  const handlerNames = [...handlersByName.keys()];
  const logger = controllerLogger(options.logger ?? defaultLogger());
  const clock = options.clock ?? systemClock;
  const externalSources = options.externalSources ?? [];

  const queue = new EventQueue(config.eventQueueSize);
  const state = new ConfigState(externalSources.map((s) => s.name));
  const history = new EventHistory({
    enabled: config.recordEventHistory,
    ageLimitMs: config.eventHistoryAgeLimit,
    permanentlyRecordedInitPeriodMs: config.permanentlyRecordedInitPeriod,
    maxRecords: config.eventHistoryMaxRecords,
    startTime: clock.now(),
  });
  const loopFrame = new AsyncLocalStorage<LoopFrame>();
  const eventLog = new EventLog(logger);
  const processed = new Subject<ProcessedEvent>();
  let processor: EventProcessor | undefined;
  const processed$ = containedStream(processed, (error) => logger.error({ err: error }, 'a processed$ subscriber failed; the controller goes on'));

  /** Pushes the AfterError healing resync; when the queue is full, the machine retries after the delay. */
  function queueHealing(reason: string | undefined, cause: HealingCause, machineActor: { send(event: { type: 'healing.retry' }): void }): void {
    try {
      queue.pushMain(new HealingResync({ type: HealingResyncType.AfterError, error: new Error(reason ?? 'unknown'), cause }));
    } catch (error) {
      logger.warn({ err: error }, 'healing resync not queued; retrying after the delay');
      machineActor.send({ type: 'healing.retry' });
    }
  }

  const machine = controllerMachine.provide({
    actors: {
      eventLoop: eventLoopLogic({
        queue,
        logger,
        createProcessor: (notify) =>
          (processor = new EventProcessor({
            config,
            state,
            queue,
            history,
            log: eventLog,
            logger,
            externalSources,
            handlerNames,
            handlerActor: (name) => handlerRef(name),
            transactionActor: () => (transactionRef ??= actorRef('transaction')),
            notify,
            processed,
            clock,
            loopFrame,
            commitsInFlight,
          })),
      }),
      transaction: transactionActorLogic({ southbound: options.southbound, state, config, clock, logger }),
      handler: handlerActorLogic({ handler: (name) => handlersByName.get(name) as EventHandler, timeoutMs: config.handlerTimeout, clock, logger }),
    },
    actions: {
      queueHealingResync: ({ context, self }) => queueHealing(context.healingCause, 'failure', self),
      queueOutageResync: ({ context, self }) => queueHealing(context.healingCause, 'outage', self),
      announceOutageRetry: ({ context }) => {
        const seconds = Math.round(context.outageBackoffMs / 100) / 10;
        logger.warn({ retryInMs: context.outageBackoffMs, cause: context.healingCause }, `southbound unavailable, retrying in ${seconds} s`);
      },
      queuePeriodicHealing: () => {
        try {
          queue.pushMain(new HealingResync({ type: HealingResyncType.Periodic }));
        } catch (error) {
          logger.warn({ err: error }, 'periodic healing resync not queued');
        }
      },
      trimHistory: () => {
        const dropped = history.trim(clock.now());
        if (dropped > 0) logger.debug({ dropped }, 'event history trimmed');
      },
    },
  });

  const actor = createActor(machine, {
    input: { config, handlerNames },
    clock,
    ...(options.inspect && { inspect: options.inspect }),
  });
  type Ref = NonNullable<ReturnType<typeof actor.system.get>>;
  function actorRef(systemId: string): Ref {
    const ref = actor.system.get(systemId);
    if (!ref) throw new ControllerError(`actor "${systemId}" is not running`);
    return ref;
  }
  // Looked up once: the processor asks for a handler's actor on every call.
  const handlerRefs = new Map<string, Ref>();
  let transactionRef: Ref | undefined;
  function handlerRef(name: string): Ref {
    let ref = handlerRefs.get(name);
    if (!ref) handlerRefs.set(name, (ref = actorRef(`handler:${name}`)));
    return ref;
  }

  let started = false;
  let closing: Promise<void> | undefined;
  let stopResetWatch: (() => void) | undefined;

  /**
   * Closes with `shutdown`: it goes through the handlers ahead of anything still queued (each
   * handler call bounded by handlerTimeout), then every actor and timer stops. A Shutdown pushed
   * while closing is finished once the controller is closed.
   */
  function closeWith(shutdown: Shutdown): Promise<void> {
    if (closing) {
      void closing.then(() => finish(shutdown));
      return closing;
    }
    closing = (async () => {
      stopResetWatch?.();
      queue.beginClosing();
      if (!started) {
        queue.close();
        finish(shutdown);
        processed.complete();
        return;
      }
      actor.send({ type: 'controller.close' });
      queue.pushShutdown(shutdown);
      try {
        await shutdown.wait();
      } catch (error) {
        logger.warn({ err: error }, 'shutdown event failed');
      }
      actor.send({ type: 'controller.stopped' });
      actor.stop();
      processed.complete();
    })();
    return closing;
  }

  const controller: Controller = {
    config,
    actor,
    processed$,

    async start() {
      if (closing) throw new ControllerError('controller is closed; create a new one');
      if (started) return;
      started = true;
      actor.subscribe({
        error: (error) => logger.fatal({ err: error }, 'controller machine failed'),
      });
      actor.start();
      stopResetWatch = options.southbound.onReset?.((reason) => {
        if (!queue.startupResyncDone) return;
        logger.warn({ reason }, 'southbound lost its state: full resync before any further update');
        try {
          queue.pushUrgent(new HealingResync({ type: HealingResyncType.AfterError, error: new Error(`southbound reset: ${reason}`), cause: 'southbound_reset' }));
        } catch (error) {
          logger.error({ err: error }, 'resync after southbound reset not queued');
        }
      });
    },

    pushEvent(event: Event) {
      checkEvent(event);
      checkEventData(event, state);
      // Its time in the queue is measured only for someone who observes processed events.
      const pushedAt = processed.observed ? performance.now() : NaN;
      const frame = loopFrame.getStore();
      if (frame?.active) {
        if (isBlocking(event)) throw new BlockingEventInLoopError(event.getName(), frame.seqNum);
        queue.pushFollowUp(event, frame.seqNum, pushedAt);
      } else if (event instanceof Shutdown) {
        // A Shutdown closes the controller, whoever pushes it: the same path as close().
        closeWith(event).catch((error: unknown) => logger.warn({ err: error }, 'close after a pushed Shutdown failed'));
      } else {
        queue.pushMain(event, pushedAt);
      }
    },

    getConfig: (key) => state.getConfig(key),

    close() {
      const frame = loopFrame.getStore();
      if (frame?.active) throw new BlockingEventInLoopError(Shutdown.eventName, frame.seqNum);
      return closeWith(new Shutdown());
    },

    eventHistory: (query) => history.query(query),

    health() {
      const snapshot = actor.getSnapshot();
      const stateName = controllerStateName(snapshot);
      const live = stateName !== 'fatal' && snapshot.status !== 'error' && snapshot.context.fatalReason === undefined;
      const southboundAvailable = !snapshot.matches({ running: { healing: 'outage' } });
      return {
        state: stateName,
        ready: live && snapshot.context.resyncCommitted && southboundAvailable && stateName !== 'stopping' && stateName !== 'stopped',
        live,
        southboundAvailable,
        ...(snapshot.context.fatalReason !== undefined && { error: snapshot.context.fatalReason }),
      };
    },

    queueDepths: () => ({ main: queue.mainDepth, followUp: queue.followUpDepth, delayed: queue.delayedCount }),

    queueStats: () => ({
      main: { depth: queue.mainDepth, ...queue.mainCounts },
      followUp: { depth: queue.followUpDepth, ...queue.followUpCounts },
      delayed: queue.delayedCount,
    }),

    currentEvent: () => processor?.currentEvent(),
  };
  return controller;
}
