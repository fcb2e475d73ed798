import type { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'pino';
import type { Subject } from 'rxjs';
import type { AnyActorRef } from 'xstate';
import type { ControllerConfig } from '../src/api/config';
import { EventMethodType, HealingResyncType, UpdateDirectionType, UpdateTransactionType, isResync } from '../src/api/enums';
import { isUpdateEvent, type Event, type UpdateEvent } from '../src/api/event';
import { DBResync } from '../src/api/events/dbResync';
import { ExternalConfigChange } from '../src/api/events/externalConfigChange';
import { HealingResync } from '../src/api/events/healingResync';
import { Shutdown } from '../src/api/events/shutdown';
import { VerificationResync } from '../src/api/events/verificationResync';
import { AbortEventError, FatalError, HealingFailedError, InvalidEventError, toError } from '../src/api/errors';
import type { EventRecord, HandlerRecord, ProcessedEvent } from '../src/api/history';
import type { ResyncType } from '../src/api/southbound';
import type { LoopNotification, LoopPhase } from '../machines/controller.events';
import { applyBookkeeping } from './bookkeeping';
import type { ConfigState } from './configState';
import type { EventHistory } from './eventHistory';
import type { EventLog } from './eventLog';
import { finish, type EventQueue, type QueuedEvent } from './eventQueue';
import { EventTransaction } from './eventTransaction';
import type { MergeScope } from './externalConfigMerge';
import { ask, type CallOutcome, type HandlerCall } from './handlerActor';
import type { ExternalConfigSource } from '../src/api/externalConfig';
import type { CommitCall, CommitOutcome } from './transactionActor';
import { VerificationCheck } from './verification';

/** Marks the async context of the event being processed, so pushes from handlers become follow-ups. */
export interface LoopFrame {
  seqNum: number;
  /** Cleared when the event is finished: timers a handler left behind push to the main queue. */
  active: boolean;
}

export interface EventProcessorDeps {
  config: ControllerConfig;
  state: ConfigState;
  queue: EventQueue;
  history: EventHistory;
  log: EventLog;
  logger: Logger;
  externalSources: readonly ExternalConfigSource[];
  handlerNames: readonly string[];
  handlerActor(name: string): AnyActorRef;
  transactionActor(): AnyActorRef;
  notify(notification: LoopNotification): void;
  /** Observers of finished events (metrics); timings are measured only while someone listens. */
  processed: Subject<ProcessedEvent>;
  now(): number;
  loopFrame: AsyncLocalStorage<LoopFrame>;
}

const RESYNC_TYPES: Partial<Record<EventMethodType, ResyncType>> = {
  [EventMethodType.FullResync]: 'full',
  [EventMethodType.UpstreamResync]: 'upstream',
  [EventMethodType.DownstreamResync]: 'downstream',
};

/** Reads an event's identity without trusting it: a user-defined event may throw. */
function identify(event: Event): { name: string; description: string; method?: EventMethodType } {
  let name = '<unnamed event>';
  try {
    name = String(event.getName());
  } catch {
    // keep the placeholder; the event fails below with InvalidEventError
  }
  let description = name;
  try {
    description = String(event.toString());
  } catch {
    // keep the name
  }
  try {
    const method = event.method();
    if (typeof EventMethodType[method] === 'string') return { name, description, method };
  } catch {
    // no method: invalid
  }
  return { name, description };
}

/**
 * Processes one event at a time: every step of "Processing one event" of the semantics page.
 * It never throws; a defect in an event or handler becomes that event's error.
 */
export class EventProcessor {
  private nextSeqNum = 0;
  private phase: LoopPhase = 'idle';
  private startupResyncDone = false;

  constructor(private readonly deps: EventProcessorDeps) {}

  /** Tells the machine about a phase change; a burst of same-phase events costs one transition. */
  setPhase(phase: LoopPhase): void {
    if (phase === this.phase) return;
    this.phase = phase;
    this.deps.notify({ type: 'loop.phase', phase });
  }

  process(queued: QueuedEvent): Promise<void> {
    const frame: LoopFrame = { seqNum: this.nextSeqNum, active: true };
    return this.deps.loopFrame.run(frame, () =>
      this.processInFrame(queued).finally(() => {
        frame.active = false;
      }),
    );
  }

  private async processInFrame({ event, followUpTo }: QueuedEvent): Promise<void> {
    const { deps } = this;
    const { name, description, method } = identify(event);
    const timed = deps.processed.observed;
    const startedAt = timed ? performance.now() : 0;
    const handlerDurationsMs: number[] = [];
    let commitDurationMs: number | undefined;
    let eventError: Error | undefined;
    let fatal: Error | undefined;
    let needsHealing = false;

    // Steps 1-2: bookkeeping.
    let updateEvent: UpdateEvent | undefined;
    if (method === undefined) {
      eventError = new InvalidEventError(`event "${name}" has no valid method()`);
    } else if (method === EventMethodType.Update) {
      if (isUpdateEvent(event)) updateEvent = event;
      else eventError = new InvalidEventError(`event "${name}" has method Update but does not implement UpdateEvent`);
    }
    if (!eventError) {
      const bookkeeping = applyBookkeeping(event, method as EventMethodType, deps);
      if (bookkeeping) await bookkeeping;
      if (event instanceof HealingResync && event.type === HealingResyncType.AfterError) deps.notify({ type: 'loop.healingStarted' });
    }
    const resync = method !== undefined && isResync(method);
    let txnType = UpdateTransactionType.BestEffort;
    let direction = UpdateDirectionType.Forward;
    if (updateEvent) {
      try {
        txnType = updateEvent.transactionType();
        direction = updateEvent.direction();
      } catch (thrown) {
        eventError = new InvalidEventError(`event "${name}": transactionType()/direction() failed`, { cause: thrown });
        updateEvent = undefined;
      }
    }
    const revertOnFailure = updateEvent !== undefined && txnType === UpdateTransactionType.RevertOnFailure;

    // Steps 3-4: handler order and filter.
    let ordered: readonly string[] = [];
    if (!eventError && method !== EventMethodType.DownstreamResync) {
      ordered = direction === UpdateDirectionType.Reverse && updateEvent ? [...deps.handlerNames].reverse() : deps.handlerNames;
    }
    const selected: { name: string; error?: Error }[] = [];
    for (const handler of ordered) {
      const pending = ask<HandlerCall, boolean>(deps.handlerActor(handler), { type: 'handlesEvent', event });
      const settled = pending instanceof Promise ? await pending : pending;
      if (!settled.ok) selected.push({ name: handler, error: settled.error });
      else if (settled.value) selected.push({ name: handler });
    }

    // Steps 5-6: sequence number, history record, log.
    const record: EventRecord = {
      seqNum: this.nextSeqNum++,
      processingStart: deps.now(),
      processingEnd: 0,
      isFollowUp: followUpTo !== undefined,
      ...(followUpTo !== undefined && { followUpTo }),
      name,
      description,
      method: method ?? EventMethodType.Update,
      handlers: [],
    };
    deps.log.newEvent(record, selected.map((h) => h.name));
    this.setPhase(resync ? 'resyncing' : 'updating');

    // Step 7: the handlers build the transaction.
    const txn = new EventTransaction();
    deps.state.currentTxn = txn;
    const verification = event instanceof VerificationResync ? new VerificationCheck(deps, selected.map((h) => h.name)) : undefined;
    if (verification) await verification.before();
    const changes: string[] = [];
    let called = 0;
    let failedHandler = -1;
    let aborted = false;
    for (const handler of selected) {
      called++;
      let outcome: CallOutcome;
      const callStart = timed ? performance.now() : 0;
      if (handler.error) {
        outcome = { ok: false, error: handler.error };
      } else {
        const call: HandlerCall = updateEvent
          ? { type: 'update', event, txn }
          : { type: 'resync', event, kubeState: deps.state.kubeState, resyncCount: deps.state.resyncCount, txn };
        const pending = ask(deps.handlerActor(handler.name), call);
        outcome = pending instanceof Promise ? await pending : pending;
      }
      if (timed) handlerDurationsMs.push(performance.now() - callStart);
      const call: HandlerRecord = { handler: handler.name, revert: false };
      if (outcome.ok) {
        if (updateEvent && typeof outcome.value === 'string' && outcome.value !== '') {
          call.change = outcome.value;
          changes.push(`${handler.name}: ${outcome.value}`);
        }
        record.handlers.push(call);
        continue;
      }
      const error = outcome.error;
      call.error = error.message;
      record.handlers.push(call);
      eventError ??= error;
      if (error instanceof FatalError) {
        fatal = error;
        break;
      }
      if (error instanceof AbortEventError) {
        // The original never honoured Abort for best-effort events (it tested FatalError twice).
        aborted = true;
        needsHealing = true;
        failedHandler = called - 1;
        break;
      }
      if (revertOnFailure) {
        failedHandler = called - 1;
        break;
      }
      // The original never marked resyncs as needing healing, leaving its step 12 dead.
      if (resync || txnType === UpdateTransactionType.BestEffort) needsHealing = true;
    }
    if (verification) await verification.after(record);

    // Steps 8-9: merge external config and commit.
    let commitFailed = false;
    if (!fatal && !aborted && !(revertOnFailure && eventError)) {
      const scope: MergeScope =
        method === EventMethodType.DownstreamResync
          ? { kind: 'none' }
          : resync
            ? { kind: 'resync' }
            : { kind: 'update', externalChangeKeys: event instanceof ExternalConfigChange ? event.updatedKVs.keys() : undefined };
      const commitCall: CommitCall = {
        type: 'commit',
        txn,
        scope,
        description: [name, ...changes].join('\n * '),
        resync: method === undefined ? undefined : RESYNC_TYPES[method],
        startup: method === EventMethodType.FullResync && deps.state.resyncCount === 1,
        revertOnFailure,
      };
      const commitStart = timed ? performance.now() : 0;
      const pending = ask<CommitCall, CommitOutcome>(deps.transactionActor(), commitCall);
      const settled = pending instanceof Promise ? await pending : pending;
      if (timed && (!settled.ok || settled.value.committed)) commitDurationMs = performance.now() - commitStart;
      const outcome: CommitOutcome = settled.ok ? settled.value : { committed: true, error: settled.error, onlyExternalConfigFailed: false };
      if (outcome.result?.recorded) record.txn = outcome.result.recorded;
      if (outcome.error) {
        commitFailed = true;
        record.txnError = outcome.error.message;
        eventError ??= outcome.error;
        if (!revertOnFailure && (resync || txnType === UpdateTransactionType.BestEffort) && !outcome.onlyExternalConfigFailed) {
          needsHealing = true;
        }
      }
    }
    deps.state.currentTxn = undefined;

    // Step 10: revert.
    if (revertOnFailure && eventError && !fatal) {
      this.setPhase('reverting');
      const toRevert = commitFailed ? selected.slice(0, called) : selected.slice(0, Math.max(failedHandler, 0));
      for (const handler of [...toRevert].reverse()) {
        const callStart = timed ? performance.now() : 0;
        const pending = ask(deps.handlerActor(handler.name), { type: 'revert', event } satisfies HandlerCall);
        const outcome = pending instanceof Promise ? await pending : pending;
        if (timed) handlerDurationsMs.push(performance.now() - callStart);
        const call: HandlerRecord = { handler: handler.name, revert: true };
        record.handlers.push(call);
        if (outcome.ok) continue;
        call.error = outcome.error.message;
        if (outcome.error instanceof FatalError) {
          fatal = outcome.error;
          break;
        }
        needsHealing = true;
      }
    }

    // Step 12 (decided before finishing, so that the event is finished with its final error).
    if (!fatal && eventError && event instanceof HealingResync && event.type === HealingResyncType.AfterError) {
      fatal = new FatalError(new HealingFailedError(eventError));
    }
    if (fatal && !(eventError instanceof FatalError)) eventError = fatal;

    // Step 11: finish.
    record.processingEnd = deps.now();
    deps.log.finalized(record, eventError);
    deps.history.append(record);
    finish(event, eventError);
    if (timed) deps.processed.next({ record, error: eventError, durationMs: performance.now() - startedAt, handlerDurationsMs, commitDurationMs });

    if (event instanceof Shutdown) {
      deps.queue.close();
      return;
    }
    if (fatal) {
      deps.notify({ type: 'loop.fatal', error: fatal });
      return;
    }
    if (event instanceof DBResync && !this.startupResyncDone) {
      this.startupResyncDone = true;
      deps.queue.openGate();
      deps.notify({ type: 'loop.startupResyncDone' });
    }
    // Step 13: the machine schedules the healing resync, once.
    if (needsHealing) deps.notify({ type: 'loop.needsHealing', error: eventError ?? toError('event needs healing') });
    // Step 14.
    if (deps.config.enableVerification && !eventError && !(event instanceof VerificationResync)) {
      try {
        deps.queue.pushFollowUp(new VerificationResync(), record.seqNum);
      } catch (error) {
        deps.logger.error({ seqNum: record.seqNum, err: error }, 'verification resync not queued');
      }
    }
  }
}
