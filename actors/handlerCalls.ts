import { AbortEventError, FatalError } from '../src/api/errors';
import type { HandlerRecord } from '../src/api/history';
import { EventMethodType, UpdateDirectionType } from '../src/api/enums';
import type { EventProcessorDeps } from './eventProcessor';
import type { EventRun, SelectedHandler } from './eventRun';
import { ask, type CallOutcome, type HandlerCall } from './handlerActor';

type HandlerDeps = Pick<EventProcessorDeps, 'handlerNames' | 'handlerActor' | 'state'>;

/** A call to a handler's actor, awaited only when the handler answered with a promise. */
async function callHandler(run: EventRun, deps: HandlerDeps, name: string, call: HandlerCall): Promise<CallOutcome> {
  const start = run.timed ? performance.now() : 0;
  const pending = ask(deps.handlerActor(name), call);
  const outcome = pending instanceof Promise ? await pending : pending;
  if (run.timed) run.handlerDurationsMs.push(performance.now() - start);
  return outcome;
}

/**
 * Steps 3-4: the handlers in the order the event flows (registration order; reversed for a
 * Reverse update; none for a downstream resync), keeping those whose handlesEvent is true.
 */
export async function selectHandlers(run: EventRun, deps: HandlerDeps): Promise<SelectedHandler[]> {
  if (run.invalid || run.method === EventMethodType.DownstreamResync) return [];
  const ordered = run.updateEvent && run.direction === UpdateDirectionType.Reverse ? [...deps.handlerNames].reverse() : deps.handlerNames;
  const selected: SelectedHandler[] = [];
  for (const name of ordered) {
    const pending = ask<HandlerCall, boolean>(deps.handlerActor(name), { type: 'handlesEvent', event: run.event });
    const settled = pending instanceof Promise ? await pending : pending;
    if (!settled.ok) selected.push({ name, error: settled.error });
    else if (settled.value) selected.push({ name });
  }
  return selected;
}

/**
 * Step 7: each selected handler adds its operations to the transaction. Records every call;
 * decides what an error means for the event: Fatal and Abort stop it, RevertOnFailure stops and
 * reverts, BestEffort and resyncs go on and need healing, BestEffortIgnoreErrors just goes on.
 */
export async function callHandlers(run: EventRun, deps: HandlerDeps): Promise<void> {
  const { event, txn } = run;
  for (const handler of run.selected) {
    run.called++;
    if (handler.error && run.timed) run.handlerDurationsMs.push(0);
    const outcome: CallOutcome = handler.error
      ? { ok: false, error: handler.error }
      : await callHandler(
          run,
          deps,
          handler.name,
          run.updateEvent
            ? { type: 'update', event, txn }
            : { type: 'resync', event, kubeState: deps.state.kubeState, resyncCount: deps.state.resyncCount, txn },
        );
    const call: HandlerRecord = { handler: handler.name, revert: false };
    run.record.handlers.push(call);
    if (outcome.ok) {
      if (run.updateEvent && typeof outcome.value === 'string' && outcome.value !== '') {
        call.change = outcome.value;
        run.changes.push(`${handler.name}: ${outcome.value}`);
      }
      continue;
    }
    const { error } = outcome;
    call.error = error.message;
    run.fail(error);
    if (error instanceof FatalError) {
      run.fatal = error;
      return;
    }
    if (error instanceof AbortEventError) {
      // The original never honoured Abort for best-effort events (it tested FatalError twice).
      run.aborted = true;
      run.needsHealing = true;
      run.stoppedAt = run.called - 1;
      return;
    }
    if (run.revertOnFailure) {
      run.stoppedAt = run.called - 1;
      return;
    }
    if (run.healsAfterError) run.needsHealing = true;
  }
}

/**
 * Step 10: reverts, in reverse order, the handlers called before the one that failed (all of
 * them when the commit failed). A revert error needs healing; a Fatal one stops reverting.
 */
export async function revertHandlers(run: EventRun, deps: HandlerDeps): Promise<void> {
  const reverted = run.commitFailed ? run.selected.slice(0, run.called) : run.selected.slice(0, Math.max(run.stoppedAt, 0));
  for (const handler of reverted.reverse()) {
    const outcome = await callHandler(run, deps, handler.name, { type: 'revert', event: run.event });
    const call: HandlerRecord = { handler: handler.name, revert: true };
    run.record.handlers.push(call);
    if (outcome.ok) continue;
    call.error = outcome.error.message;
    if (outcome.error instanceof FatalError) {
      run.fatal = outcome.error;
      return;
    }
    run.needsHealing = true;
  }
}
