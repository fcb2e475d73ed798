import type { CommitRequest, Event, EventHandler, ProtoMessage, Southbound, UpdateOperations } from '../src/api';

/** The least a transaction can be: a map of the handlers' values. */
class MapTransaction implements UpdateOperations {
  readonly values = new Map<string, ProtoMessage | null>();
  put(key: string, value: ProtoMessage): void {
    this.values.set(key, value);
  }
  delete(key: string): void {
    this.values.set(key, null);
  }
  get(key: string): ProtoMessage | undefined {
    return this.values.get(key) ?? undefined;
  }
}

// The controller's defaults, so that both sides send the same commit requests.
const RETRY = { periodMs: 1000, maxAttempts: 3, expBackoff: true };

/**
 * The same work without the controller: for each event, ask the handlers, let them fill a
 * transaction, commit it (awaiting only a southbound that answers with a promise), finish the
 * event. No XState, no queue, no history, no logging: what the handlers and the southbound cost
 * by themselves in JavaScript.
 */
export async function runPlainLoop(handlers: readonly EventHandler[], southbound: Southbound, events: readonly Event[]): Promise<void> {
  for (const event of events) {
    const txn = new MapTransaction();
    const changes: string[] = [event.getName()];
    for (const handler of handlers) {
      if (!handler.handlesEvent(event)) continue;
      const change = handler.update(event, txn);
      if (typeof change === 'string' && change !== '') changes.push(`${handler.name}: ${change}`);
    }
    if (txn.values.size > 0) {
      const request: CommitRequest = { description: changes.join('\n * '), values: txn.values, revertOnFailure: false, retry: RETRY };
      const result = southbound.commit(request);
      if (result instanceof Promise) await result;
    }
    event.done(null);
  }
}
