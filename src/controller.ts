import { AsyncLocalStorage } from 'node:async_hooks';
import pino, { type Logger } from 'pino';
import { Subject, type Observable } from 'rxjs';
import { createActor, type Actor, type InspectionEvent, type Observer } from 'xstate';
import { resolveControllerConfig, type ControllerConfig } from './api/config';
import { HealingResyncType } from './api/enums';
import type { Event, EventLoop } from './api/event';
import { HealingResync } from './api/events/healingResync';
import { Shutdown } from './api/events/shutdown';
import { BlockingEventInLoopError, ControllerError, InvalidEventError } from './api/errors';
import type { ExternalConfigSource } from './api/externalConfig';
import type { EventHandler } from './api/handler';
import type { EventHistoryQuery, EventRecord, ProcessedEvent } from './api/history';
import type { Southbound } from './api/southbound';
import type { ConfigRetriever } from './api/transaction';
import type { ProtoMessage } from './api/types';
import { ConfigState } from './loop/configState';
import { EventHistory } from './loop/eventHistory';
import { EventLog } from './loop/eventLog';
import { eventLoopLogic } from '../actors/eventLoop';
import { EventProcessor, type LoopFrame } from './loop/eventProcessor';
import { EventQueue } from './loop/eventQueue';
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
  /** The clock of the event history (epoch ms); tests move it to check trimming. */
  now?: () => number;
}

export interface ControllerHealth {
  state: ControllerStateName;
  /** The startup resync is done, and the controller is neither fatal nor closing. */
  ready: boolean;
  /** Not fatal. */
  live: boolean;
  /** The fatal reason. */
  error?: string;
}

export interface QueueDepths {
  main: number;
  followUp: number;
  /** Held back until the first DBResync. */
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

function checkEvent(event: unknown): asserts event is Event {
  const candidate = event as Partial<Event> | null;
  for (const method of ['getName', 'toString', 'method', 'isBlocking', 'done'] as const) {
    if (typeof candidate?.[method] !== 'function') throw new InvalidEventError(`not an Event: ${method}() is missing`);
  }
}

function isBlocking(event: Event): boolean {
  try {
    return event.isBlocking() === true;
  } catch (error) {
    throw new InvalidEventError(`isBlocking() of "${event.getName()}" failed`, { cause: error });
  }
}

/** Creates the controller: the machine with its actors, the queues and the state they share. */
export function createController(options: ControllerOptions): Controller {
  const config = resolveControllerConfig(options.config);
  const handlersByName = checkHandlers(options.handlers);
  const handlerNames = [...handlersByName.keys()];
  const logger = (options.logger ?? pino({ name: 'controller' })).child({ component: 'controller' });
  const now = options.now ?? Date.now;
  const externalSources = options.externalSources ?? [];

  const queue = new EventQueue(config.eventQueueSize);
  const state = new ConfigState(externalSources.map((s) => s.name));
  const history = new EventHistory({
    enabled: config.recordEventHistory,
    ageLimitMs: config.eventHistoryAgeLimit,
    permanentlyRecordedInitPeriodMs: config.permanentlyRecordedInitPeriod,
    maxRecords: config.eventHistoryMaxRecords,
    startTime: now(),
  });
  const loopFrame = new AsyncLocalStorage<LoopFrame>();
  const eventLog = new EventLog(logger);
  const processed = new Subject<ProcessedEvent>();

  const machine = controllerMachine.provide({
    actors: {
      eventLoop: eventLoopLogic({
        queue,
        logger,
        createProcessor: (notify) =>
          new EventProcessor({
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
            now,
            loopFrame,
          }),
      }),
      transaction: transactionActorLogic({ southbound: options.southbound, state, config }),
      handler: handlerActorLogic((name) => handlersByName.get(name) as EventHandler),
    },
    actions: {
      queueHealingResync: ({ context, self }) => {
        try {
          queue.pushMain(new HealingResync({ type: HealingResyncType.AfterError, error: new Error(context.healingCause ?? 'unknown') }));
        } catch (error) {
          logger.warn({ err: error }, 'healing resync not queued; retrying after the delay');
          self.send({ type: 'healing.retry' });
        }
      },
      queuePeriodicHealing: () => {
        try {
          queue.pushMain(new HealingResync({ type: HealingResyncType.Periodic }));
        } catch (error) {
          logger.warn({ err: error }, 'periodic healing resync not queued');
        }
      },
      trimHistory: () => {
        const dropped = history.trim(now());
        if (dropped > 0) logger.debug({ dropped }, 'event history trimmed');
      },
    },
  });

  const actor = createActor(machine, {
    input: { config, handlerNames },
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

  const controller: Controller = {
    config,
    actor,
    processed$: processed.asObservable(),

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
          queue.pushUrgent(new HealingResync({ type: HealingResyncType.AfterError, error: new Error(`southbound reset: ${reason}`) }));
        } catch (error) {
          logger.error({ err: error }, 'resync after southbound reset not queued');
        }
      });
    },

    pushEvent(event: Event) {
      checkEvent(event);
      const frame = loopFrame.getStore();
      if (frame?.active) {
        if (isBlocking(event)) throw new BlockingEventInLoopError(event.getName(), frame.seqNum);
        queue.pushFollowUp(event, frame.seqNum);
      } else {
        queue.pushMain(event);
      }
    },

    getConfig: (key) => state.getConfig(key),

    close() {
      const frame = loopFrame.getStore();
      if (frame?.active) throw new BlockingEventInLoopError(Shutdown.eventName, frame.seqNum);
      closing ??= (async () => {
        stopResetWatch?.();
        queue.beginClosing();
        if (!started) {
          queue.close();
          processed.complete();
          return;
        }
        actor.send({ type: 'controller.close' });
        const shutdown = new Shutdown();
        queue.pushMain(shutdown);
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
    },

    eventHistory: (query) => history.query(query),

    health() {
      const snapshot = actor.getSnapshot();
      const stateName = controllerStateName(snapshot);
      const live = stateName !== 'fatal' && snapshot.status !== 'error';
      return {
        state: stateName,
        ready: live && snapshot.context.startupResyncDone && stateName !== 'stopping' && stateName !== 'stopped',
        live,
        ...(snapshot.context.fatalReason !== undefined && { error: snapshot.context.fatalReason }),
      };
    },

    queueDepths: () => ({ main: queue.mainDepth, followUp: queue.followUpDepth, delayed: queue.delayedCount }),
  };
  return controller;
}
