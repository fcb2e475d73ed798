import { InMemorySouthbound, type CommitRequest, type Event, type EventHandler, type ProtoMessage, type UpdateOperations } from '../src';

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
 * transaction, commit it and wait for the commit. No XState, no queue, no history, no logging.
 * Returns the elapsed milliseconds.
 */
export async function runBaseline(handlers: readonly EventHandler[], events: readonly Event[]): Promise<number> {
  const southbound = new InMemorySouthbound();
  const start = performance.now();
  for (const event of events) {
    const txn = new MapTransaction();
    const changes: string[] = [event.getName()];
    for (const handler of handlers) {
      if (!handler.handlesEvent(event)) continue;
      const change = handler.update(event, txn);
      if (typeof change === 'string' && change !== '') changes.push(`${handler.name}: ${change}`);
    }
    if (txn.values.size === 0) continue;
    const request: CommitRequest = { description: changes.join('\n * '), values: txn.values, revertOnFailure: false, retry: RETRY };
    await southbound.commit(request);
  }
  return performance.now() - start;
}
