import type { AnyActorRef, CallbackActorLogic, CallbackSnapshot, EventObject, NonReducibleUnknown } from 'xstate';

/** What an actor started with `fromReceiver` does with its messages, and when it stops. */
export interface Receiver<TEvent> {
  receive(event: TEvent): void;
  stop(): void;
}

/** The event XState sends an actor it stops (its value is not exported). */
const STOP_EVENT = 'xstate.stop';

/**
 * Actor logic for a long-lived actor that answers messages, as `fromCallback` with `receive`
 * would, minus what fromCallback costs per message: a closure and a Set iteration over its
 * receivers for every message. The handler and transaction actors take several messages per
 * event; this keeps their actors (mailbox, supervision, inspection, the snapshot of a callback
 * actor) at the price of a WeakMap lookup per message.
 */
export function fromReceiver<TEvent extends EventObject, TInput = NonReducibleUnknown>(start: (input: TInput) => Receiver<TEvent>): CallbackActorLogic<TEvent, TInput> {
  const receivers = new WeakMap<AnyActorRef, Receiver<TEvent>>();
  return {
    config: start,
    start: (snapshot, { self }) => {
      receivers.set(self, start(snapshot.input));
    },
    transition: (snapshot, event, { self }) => {
      const receiver = receivers.get(self);
      if (event.type === STOP_EVENT) {
        receivers.delete(self);
        receiver?.stop();
        return { ...snapshot, status: 'stopped', error: undefined };
      }
      receiver?.receive(event);
      return snapshot;
    },
    getInitialSnapshot: (_scope, input): CallbackSnapshot<TInput> => ({ status: 'active', output: undefined, error: undefined, input }),
    getPersistedSnapshot: (snapshot) => snapshot,
    restoreSnapshot: (snapshot) => snapshot as CallbackSnapshot<TInput>,
  };
}
