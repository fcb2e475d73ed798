import pino from 'pino';
import type { AnyEventObject, InspectionEvent, StateValue } from 'xstate';
import type { ControllerConfig } from '../../src/api/config';
import { HealingResyncType, UpdateTransactionType } from '../../src/api/enums';
import type { Event } from '../../src/api/event';
import { CustomUpdateEvent, DBResync, HealingResync, KubeStateChange, Shutdown } from '../../src/api/events';
import { FatalError } from '../../src/api/errors';
import type { EventHandler } from '../../src/api/handler';
import type { UpdateOperations } from '../../src/api/transaction';
import { createController, type Controller, type ControllerHealth } from '../../src/controller';
import { InMemorySouthbound } from '../../src/southbound/memory';
import { gate, type Gate } from './waitFor';
import { pod, value } from './messages';

export interface ReceivedEvent {
  event: AnyEventObject;
  /** Absent when the machine did not take a step for the event. */
  after?: { value: StateValue; health: ControllerHealth };
}

/**
 * What the scripted handlers do with one event:
 * - `pass`: succeed at once;
 * - `block`: the first handler's resync/update waits until the test releases it;
 * - `fail`: the first handler throws a plain (non-fatal) Error;
 * - `revertBlocks`: a RevertOnFailure update whose second handler fails, so the loop reverts the
 *   first handler, whose revert waits until the test releases it;
 * - `unavailable`: the first handler makes the southbound unavailable, so the commit fails with
 *   SouthboundUnavailableError (until the test makes it available again).
 */
export type Behaviour = 'pass' | 'block' | 'fail' | 'revertBlocks' | 'unavailable';

/** A RevertOnFailure update: the only built-in-free way to make the loop revert. */
export class RevertOnFailureChange extends CustomUpdateEvent {
  constructor() {
    super({ name: 'Revert-On-Failure Change', transactionType: UpdateTransactionType.RevertOnFailure });
  }
}

let podCounter = 0;
/** A fresh pod add: a BestEffort, Forward update. */
export function podAdded(): KubeStateChange {
  const name = `pod-${++podCounter}`;
  return new KubeStateChange({ key: name, resource: 'pod', newValue: pod(name) });
}

/** The message the fatal handler error carries (the model's `loop.fatal` uses the same one). */
export const FATAL_MESSAGE = 'model: the handler gave up';
export function modelFatalError(): FatalError {
  return new FatalError(new Error(FATAL_MESSAGE));
}

/**
 * Drives a real controller (InMemorySouthbound, two scripted handlers) so that it sends its
 * machine chosen events, holding at most one handler call at a time so that a test can look at
 * the controller while an event is in the middle of being processed.
 */
export class ModelDriver {
  readonly southbound = new InMemorySouthbound();
  readonly controller: Controller;
  /**
   * Every event the controller machine (the root actor) received, in order, with the state and
   * health() right after it (recorded at once, so a state the runtime only passes through counts).
   */
  readonly received: ReceivedEvent[] = [];
  /** What the AfterError HealingResync (pushed by the machine itself) does. */
  healingBehaviour: Behaviour = 'pass';
  /** What the Shutdown pushed by close() does: it blocks so that 'stopping' stays observable. */
  shutdownBehaviour: Behaviour = 'block';
  closing: Promise<void> | undefined;
  private held: Gate<Error | undefined> | undefined;
  private passing = false;
  private readonly behaviours = new WeakMap<Event, Behaviour>();

  constructor(config: Partial<ControllerConfig>) {
    this.controller = createController({
      handlers: [this.firstHandler(), this.secondHandler()],
      southbound: this.southbound,
      config,
      logger: pino({ level: 'silent' }),
      inspect: (inspection: InspectionEvent) => {
        if (inspection.actorRef.sessionId !== inspection.rootId) return;
        if (inspection.type === '@xstate.event') this.received.push({ event: inspection.event });
        if (inspection.type === '@xstate.snapshot') {
          const entry = [...this.received].reverse().find((r) => r.event === inspection.event);
          if (entry) entry.after = { value: this.controller.actor.getSnapshot().value, health: this.controller.health() };
        }
      },
    });
  }

  /** A handler call is waiting for the test. */
  get holding(): boolean {
    return this.held !== undefined;
  }

  push(event: Event, behaviour: Behaviour): void {
    this.behaviours.set(event, behaviour);
    this.controller.pushEvent(event);
  }

  /** Lets the held call succeed. */
  release(): void {
    this.settleHeld(undefined);
  }

  /** Makes the held call throw `error`. */
  failHeld(error: Error): void {
    this.settleHeld(error);
  }

  /** From now on nothing blocks; the held call succeeds. */
  releaseAll(): void {
    this.passing = true;
    if (this.held) this.settleHeld(undefined);
  }

  private settleHeld(outcome: Error | undefined): void {
    const held = this.held;
    if (!held) throw new Error('model driver: no handler call is held');
    this.held = undefined;
    held.open(outcome);
  }

  private behaviourOf(event: Event): Behaviour {
    if (event instanceof HealingResync && event.type === HealingResyncType.AfterError) return this.healingBehaviour;
    if (event instanceof Shutdown) return this.shutdownBehaviour;
    return this.behaviours.get(event) ?? 'pass';
  }

  private async hold(): Promise<void> {
    if (this.passing) return;
    if (this.held) throw new Error('model driver: two handler calls held at once');
    const held = gate<Error | undefined>();
    this.held = held;
    const outcome = await held.promise;
    if (outcome) throw outcome;
  }

  private async act(event: Event): Promise<void> {
    const behaviour = this.behaviourOf(event);
    if (behaviour === 'block') await this.hold();
    else if (behaviour === 'fail') throw new Error('model: best-effort handler failure');
    else if (behaviour === 'unavailable') this.southbound.setUnavailable(true);
  }

  private firstHandler(): EventHandler {
    return {
      name: 'first',
      handlesEvent: () => true,
      resync: (event) => this.act(event),
      update: async (event: Event, txn: UpdateOperations) => {
        if (this.behaviourOf(event) === 'revertBlocks') {
          txn.put('cfg/reverted', value({ name: 'reverted' }));
          return 'put cfg/reverted';
        }
        await this.act(event);
        // Something to commit, so that the commit meets the unavailable southbound.
        if (this.behaviourOf(event) === 'unavailable') txn.put('cfg/unavailable', value({ name: 'unavailable' }));
        return '';
      },
      revert: async (event) => {
        if (this.behaviourOf(event) === 'revertBlocks') await this.hold();
      },
    };
  }

  private secondHandler(): EventHandler {
    return {
      name: 'second',
      handlesEvent: () => true,
      resync: () => undefined,
      update: (event: Event) => {
        if (this.behaviourOf(event) === 'revertBlocks') throw new Error('model: second handler refuses the revert-on-failure change');
        return '';
      },
      revert: () => undefined,
    };
  }
}

/** A DBResync with no data. */
export function emptyResync(): DBResync {
  return new DBResync();
}

/** One macrotask turn (setImmediate is left real when the test fakes timers). */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Waits until `condition` holds, on real macrotask turns and a real clock (the model test fakes
 * setTimeout to control the machine's delays, so waitFor() of waitFor.ts would never wake up).
 */
export async function until(condition: () => boolean, what: string | (() => string), limitMs = 15000): Promise<void> {
  const deadline = performance.now() + limitMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for: ${typeof what === 'string' ? what : what()}`);
    await nextTurn();
  }
}
