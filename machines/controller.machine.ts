import { assign, enqueueActions, fromCallback, sendTo, setup } from 'xstate';
import type { ControllerConfig } from '../src/api/config';
import { FatalError, StartupResyncDeadlineError } from '../src/api/errors';
import type { HandlerActorInput, HandlerCall } from '../actors/handlerActor';
import type { Request } from '../actors/request';
import type { TransactionCall } from '../actors/transactionActor';
import type { ControllerMachineEvent, LoopPhase } from './controller.events';

export interface ControllerMachineInput {
  config: ControllerConfig;
  /** In registration order; one handler actor is spawned for each. */
  handlerNames: readonly string[];
}

export interface ControllerMachineContext {
  config: ControllerConfig;
  handlerNames: readonly string[];
  /** The first DBResync was processed: events are no longer held back. */
  startupResyncDone: boolean;
  /** A full or upstream resync reached the southbound: with the southbound available, the controller is ready. */
  resyncCommitted: boolean;
  /** The delay before the next retry while the southbound is unavailable (doubles up to maxHealingBackoff). */
  outageBackoffMs: number;
  /** Why the controller is fatal. */
  fatalReason?: string;
  /** What the scheduled healing resync repairs. */
  healingCause?: string;
}

/** Messages the machine sends to the event loop actor. */
export type EventLoopCommand = { type: 'abort'; error: Error };

/**
 * The controller as a state machine: states and transitions only. The work is done by actors
 * given by name; this definition carries inert stand-ins, so it can be imported on its own (the
 * Stately inspector, model-based tests) and the runtime supplies the real ones with `provide()`.
 */
export const controllerMachine = setup({
  types: {} as {
    context: ControllerMachineContext;
    events: ControllerMachineEvent;
    input: ControllerMachineInput;
  },
  actors: {
    /** Takes events from the queue and processes them one at a time (actors/eventLoop.ts). */
    eventLoop: fromCallback<EventLoopCommand>(() => undefined),
    /** Merges external config and commits each event's transaction (actors/transactionActor.ts). */
    transaction: fromCallback<Request<TransactionCall>>(() => undefined),
    /** One per event handler; supervises its calls (actors/handlerActor.ts). */
    handler: fromCallback<Request<HandlerCall>, HandlerActorInput>(() => undefined),
  },
  actions: {
    spawnHandlers: enqueueActions(({ context, enqueue }) => {
      for (const name of context.handlerNames) {
        enqueue.spawnChild('handler', { id: `handler:${name}`, systemId: `handler:${name}`, input: { name } });
      }
    }),
    /** Pushes HealingResync{AfterError} for `context.healingCause`; on failure it sends `healing.retry`. */
    queueHealingResync: () => undefined,
    /** The same during or right after a southbound outage (the resync probes the southbound). */
    queueOutageResync: () => undefined,
    /** Logs at warn that the southbound is unavailable and when the next retry comes. */
    announceOutageRetry: () => undefined,
    /** Pushes HealingResync{Periodic}. */
    queuePeriodicHealing: () => undefined,
    trimHistory: () => undefined,
  },
  guards: {
    phaseIs: ({ event }, params: { phase: LoopPhase }) => event.type === 'loop.phase' && event.phase === params.phase,
    periodicHealingEnabled: ({ context }) => context.config.enablePeriodicHealing,
    historyEnabled: ({ context }) => context.config.recordEventHistory,
    resynced: ({ event }) => event.type === 'loop.southboundAvailable' && event.resynced,
  },
  delays: {
    startupResyncDeadline: ({ context }) => context.config.startupResyncDeadline,
    delayAfterErrorHealing: ({ context }) => context.config.delayAfterErrorHealing,
    outageBackoff: ({ context }) => context.outageBackoffMs,
    periodicHealingInterval: ({ context }) => context.config.periodicHealingInterval,
    eventHistoryTrimInterval: ({ context }) => context.config.eventHistoryTrimInterval,
  },
}).createMachine({
  id: 'controller',
  context: ({ input }) => ({
    config: input.config,
    handlerNames: input.handlerNames,
    startupResyncDone: false,
    resyncCommitted: false,
    outageBackoffMs: input.config.delayAfterErrorHealing,
  }),
  entry: 'spawnHandlers',
  invoke: [
    { id: 'transaction', systemId: 'transaction', src: 'transaction' },
    { id: 'eventLoop', systemId: 'eventLoop', src: 'eventLoop' },
  ],
  initial: 'running',
  states: {
    running: {
      type: 'parallel',
      on: {
        'loop.fatal': {
          target: 'fatal',
          actions: [
            assign({ fatalReason: ({ event }) => event.error.message }),
            sendTo('eventLoop', ({ event }) => ({ type: 'abort', error: event.error }) satisfies EventLoopCommand),
          ],
        },
        'controller.close': 'stopping',
      },
      states: {
        loop: {
          initial: 'awaitingStartupResync',
          on: {
            'loop.phase': [
              { guard: { type: 'phaseIs', params: { phase: 'resyncing' } }, target: '.resyncing' },
              { guard: { type: 'phaseIs', params: { phase: 'updating' } }, target: '.updating' },
              { guard: { type: 'phaseIs', params: { phase: 'reverting' } }, target: '.reverting' },
              { guard: { type: 'phaseIs', params: { phase: 'idle' } }, target: '.idle' },
            ],
            'loop.startupResyncDone': { actions: assign({ startupResyncDone: true, resyncCommitted: ({ event }) => event.committed }) },
            'loop.resyncCommitted': { actions: assign({ resyncCommitted: true }) },
          },
          states: {
            awaitingStartupResync: {
              after: {
                startupResyncDeadline: {
                  target: '#controller.fatal',
                  actions: [
                    assign({ fatalReason: ({ context }) => new StartupResyncDeadlineError(context.config.startupResyncDeadline).message }),
                    sendTo('eventLoop', ({ context }) => ({
                      type: 'abort',
                      error: new FatalError(new StartupResyncDeadlineError(context.config.startupResyncDeadline)),
                    }) satisfies EventLoopCommand),
                  ],
                },
              },
            },
            idle: {},
            resyncing: {},
            updating: {},
            reverting: {},
          },
        },
        healing: {
          initial: 'clear',
          on: {
            // An outage is not an error of the configuration: it is waited out, never counted as a failed healing.
            'loop.southboundUnavailable': {
              target: '.outage',
              actions: assign({
                healingCause: ({ event }) => event.error.message,
                outageBackoffMs: ({ context }) => context.config.delayAfterErrorHealing,
              }),
            },
          },
          states: {
            clear: {
              on: { 'loop.needsHealing': { target: 'scheduled', actions: assign({ healingCause: ({ event }) => event.error.message }) } },
            },
            // Scheduled once: further failures are repaired by the same healing resync.
            scheduled: {
              after: {
                delayAfterErrorHealing: {
                  target: 'queued',
                  actions: 'queueHealingResync',
                },
              },
            },
            queued: {
              on: { 'loop.healingStarted': { target: 'clear', actions: assign({ healingCause: undefined }) }, 'healing.retry': 'scheduled' },
            },
            /**
             * The southbound is unavailable: events are still processed (their changes wait in the
             * internal config), and a healing resync probes the southbound with a doubling backoff.
             * Failures meanwhile need no healing of their own: the resync after the outage is full.
             */
            outage: {
              initial: 'waiting',
              on: {
                'loop.southboundUnavailable': {
                  target: '.waiting',
                  reenter: true,
                  actions: assign({
                    outageBackoffMs: ({ context }) => Math.min(context.outageBackoffMs * 2, Math.max(context.config.maxHealingBackoff, 1)),
                  }),
                },
                'loop.southboundAvailable': [
                  { guard: 'resynced', target: 'clear', actions: assign({ healingCause: undefined }) },
                  // A plain update got through first: the changes made during the outage still need a full resync.
                  {
                    target: 'queued',
                    actions: [assign({ healingCause: 'southbound available again after an outage' }), 'queueOutageResync'],
                  },
                ],
              },
              states: {
                waiting: {
                  entry: 'announceOutageRetry',
                  after: { outageBackoff: { target: 'probing', actions: 'queueOutageResync' } },
                },
                probing: {
                  on: { 'healing.retry': 'waiting' },
                },
              },
            },
          },
        },
        periodicHealing: {
          initial: 'off',
          states: {
            off: { on: { 'loop.startupResyncDone': { guard: 'periodicHealingEnabled', target: 'waiting' } } },
            waiting: {
              after: { periodicHealingInterval: { target: 'waiting', reenter: true, actions: 'queuePeriodicHealing' } },
            },
          },
        },
        historyTrimming: {
          initial: 'deciding',
          states: {
            deciding: { always: [{ guard: 'historyEnabled', target: 'waiting' }, { target: 'off' }] },
            waiting: {
              after: { eventHistoryTrimInterval: { target: 'waiting', reenter: true, actions: 'trimHistory' } },
            },
            off: {},
          },
        },
      },
    },
    fatal: {
      on: { 'controller.close': 'stopping' },
    },
    /** The Shutdown event is going through the handlers; every timer above is already cancelled. */
    stopping: {
      on: {
        'controller.stopped': 'stopped',
        // Events still finish while stopping: a FatalError among them must not be lost.
        'loop.fatal': {
          actions: [
            assign({ fatalReason: ({ event }) => event.error.message }),
            sendTo('eventLoop', ({ event }) => ({ type: 'abort', error: event.error }) satisfies EventLoopCommand),
          ],
        },
      },
    },
    stopped: { type: 'final' },
  },
});

export type ControllerMachine = typeof controllerMachine;
