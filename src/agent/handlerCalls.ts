import type { Event } from '../api/event';
import type { EventHandler } from '../api/handler';

type Operation = 'handlesEvent' | 'resync' | 'update' | 'revert' | 'describeInternalData';

/** The handler call made last, and whether it has settled. */
export interface HandlerCall {
  handler: string;
  operation: Operation;
  event: string;
  /** Epoch ms. */
  startedAt: number;
  /** True once it returned or its promise settled; undefined for a non-native thenable (not observed). */
  settled: boolean | undefined;
}

/**
 * Knows which handler call the controller made last, to say which handler holds a stop that
 * does not finish (`contivctl agent`'s shutdownTimeout). The controller calls handlers one at a
 * time, so the last call made is the one running when it has not settled.
 *
 * ```ts
 * const calls = new HandlerCalls();
 * const controller = createController({ handlers: calls.observe(handlers), southbound });
 * calls.last; // { handler: 'ipam', operation: 'update', event: 'Kubernetes State Change', ... }
 * ```
 */
export class HandlerCalls {
  private lastCall: HandlerCall | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  get last(): HandlerCall | undefined {
    return this.lastCall;
  }

  /** The same handlers (same names, same behaviour), each call noted on its way in and out. */
  observe(handlers: readonly EventHandler[]): EventHandler[] {
    return handlers.map((handler) => this.observeOne(handler));
  }

  private observeOne(handler: EventHandler): EventHandler {
    const track = <T>(operation: Operation, event: Event | undefined, call: () => T): T => {
      const entry: HandlerCall = { handler: handler.name, operation, event: eventName(event), startedAt: this.now(), settled: false };
      this.lastCall = entry;
      let result: T;
      try {
        result = call();
      } catch (error) {
        entry.settled = true;
        throw error;
      }
      // Only native promises are observed: calling `then` of a user's thenable again could change what it does.
      if (result instanceof Promise) {
        result.then(
          () => (entry.settled = true),
          () => (entry.settled = true),
        );
      } else if (result !== null && typeof result === 'object' && 'then' in result) {
        entry.settled = undefined;
      } else {
        entry.settled = true;
      }
      return result;
    };
    const observed: EventHandler = {
      name: handler.name,
      handlesEvent: (event) => track('handlesEvent', event, () => handler.handlesEvent(event)),
      resync: (event, kubeState, resyncCount, txn) => track('resync', event, () => handler.resync(event, kubeState, resyncCount, txn)),
      update: (event, txn) => track('update', event, () => handler.update(event, txn)),
      revert: (event) => track('revert', event, () => handler.revert(event)),
    };
    if (typeof handler.describeInternalData === 'function') {
      observed.describeInternalData = () => track('describeInternalData', undefined, () => (handler.describeInternalData as () => string | Promise<string>).call(handler));
    }
    return observed;
  }
}

function eventName(event: Event | undefined): string {
  if (event === undefined) return 'verification';
  try {
    return event.getName();
  } catch {
    return 'an event whose getName() fails';
  }
}
