import type { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'pino';
import type { Subject } from 'rxjs';
import type { AnyActorRef } from 'xstate';
import type { ControllerConfig } from '../api/config';
import { EventMethodType, HealingResyncType, UpdateDirectionType } from '../api/enums';
import { DBResync } from '../api/events/dbResync';
import { ExternalConfigChange } from '../api/events/externalConfigChange';
import { HealingResync } from '../api/events/healingResync';
import { Shutdown } from '../api/events/shutdown';
import { VerificationResync } from '../api/events/verificationResync';
import { FatalError, HealingFailedError, toError } from '../api/errors';
import type { ExternalConfigSource } from '../api/externalConfig';
import type { ProcessedEvent } from '../api/history';
import type { ResyncType } from '../api/southbound';
import type { LoopNotification, LoopPhase } from '../../machines/controller.events';
import { applyBookkeeping } from './bookkeeping';
import type { ConfigState } from './configState';
import type { EventHistory } from './eventHistory';
import type { EventLog } from './eventLog';
import { finish, type EventQueue, type QueuedEvent } from './eventQueue';
import { EventRun, type SelectedHandler } from './eventRun';
import type { MergeScope } from './externalConfigMerge';
import { ask, type CallOutcome, type HandlerCall } from '../../actors/handlerActor';
import type { CommitCall, CommitOutcome } from '../../actors/transactionActor';
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

/**
 * Processes one event at a time: every step of "Processing one event" of the semantics page, in
 * order; what an outcome means is decided by EventRun, the commit itself by the transaction
 * actor. It never throws: a defect in an event or a handler becomes that event's error.
 * Every call is awaited only when it returned a promise: synchronous handlers cost no microtask
 * (an async helper per stage costs ~5 µs per event under AsyncLocalStorage's promise hooks).
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
    const run = new EventRun(event, followUpTo, deps.processed.observed);

    // Steps 1-2: what the controller learns from the event before any handler runs.
    if (!run.invalid) {
      const bookkeeping = applyBookkeeping(event, run.method as EventMethodType, deps);
      if (bookkeeping) await bookkeeping;
      if (event instanceof HealingResync && event.type === HealingResyncType.AfterError) deps.notify({ type: 'loop.healingStarted' });
    }
    // Steps 3-4: handler order, then those whose handlesEvent is true.
    for (const name of this.orderedHandlers(run)) {
      const pending = ask<HandlerCall, boolean>(deps.handlerActor(name), { type: 'handlesEvent', event });
      const settled = pending instanceof Promise ? await pending : pending;
      if (!settled.ok) run.selected.push({ name, error: settled.error });
      else if (settled.value) run.selected.push({ name });
    }
    // Steps 5-6: sequence number, history record, log.
    run.record = {
      seqNum: this.nextSeqNum++,
      processingStart: deps.now(),
      processingEnd: 0,
      isFollowUp: followUpTo !== undefined,
      ...(followUpTo !== undefined && { followUpTo }),
      name: run.name,
      description: run.description,
      method: run.method ?? EventMethodType.Update,
      handlers: [],
    };
    deps.log.newEvent(run.record, run.selected.map((h) => h.name));
    this.setPhase(run.resync ? 'resyncing' : 'updating');

    // Step 7: the handlers build the transaction.
    deps.state.currentTxn = run.txn;
    const verification = event instanceof VerificationResync ? new VerificationCheck(deps, run.selected.map((h) => h.name)) : undefined;
    if (verification) await verification.before();
    for (const handler of run.selected) {
      const start = run.timed ? performance.now() : 0;
      const pending = this.callHandler(run, handler);
      const outcome = pending instanceof Promise ? await pending : pending;
      if (run.timed) run.handlerDurationsMs.push(performance.now() - start);
      if (run.recordCall(handler.name, outcome) === 'stop') break;
    }
    if (verification) await verification.after(run.record);

    // Steps 8-9: the transaction actor merges external config and commits.
    if (run.commits) {
      const start = run.timed ? performance.now() : 0;
      const pending = ask<CommitCall, CommitOutcome>(deps.transactionActor(), this.commitCall(run));
      const settled = pending instanceof Promise ? await pending : pending;
      if (run.timed && (!settled.ok || settled.value.committed)) run.commitDurationMs = performance.now() - start;
      run.recordCommit(settled.ok ? settled.value : { committed: true, error: settled.error, onlyExternalConfigFailed: false });
    }
    deps.state.currentTxn = undefined;

    // Step 10: revert.
    if (run.reverts) {
      this.setPhase('reverting');
      for (const handler of run.handlersToRevert()) {
        const start = run.timed ? performance.now() : 0;
        const pending = ask(deps.handlerActor(handler.name), { type: 'revert', event } satisfies HandlerCall);
        const outcome = pending instanceof Promise ? await pending : pending;
        if (run.timed) run.handlerDurationsMs.push(performance.now() - start);
        if (run.recordRevert(handler.name, outcome) === 'stop') break;
      }
    }

    // Step 12, decided before finishing so that the event is finished with its final error.
    if (!run.fatal && run.error && event instanceof HealingResync && event.type === HealingResyncType.AfterError) {
      run.fatal = new FatalError(new HealingFailedError(run.error));
    }
    if (run.fatal && !(run.error instanceof FatalError)) run.error = run.fatal;

    this.finish(run);
  }

  /** Registration order; reversed for a Reverse update; none for a downstream resync. */
  private orderedHandlers(run: EventRun): readonly string[] {
    if (run.invalid || run.method === EventMethodType.DownstreamResync) return [];
    const names = this.deps.handlerNames;
    return run.updateEvent && run.direction === UpdateDirectionType.Reverse ? [...names].reverse() : names;
  }

  private callHandler(run: EventRun, handler: SelectedHandler): CallOutcome | Promise<CallOutcome> {
    if (handler.error) return { ok: false, error: handler.error };
    const { event, txn } = run;
    const { state } = this.deps;
    const call: HandlerCall = run.updateEvent
      ? { type: 'update', event, txn }
      : { type: 'resync', event, kubeState: state.kubeState, resyncCount: state.resyncCount, txn };
    return ask(this.deps.handlerActor(handler.name), call);
  }

  private commitCall(run: EventRun): CommitCall {
    const { event, method } = run;
    const scope: MergeScope =
      method === EventMethodType.DownstreamResync
        ? { kind: 'none' }
        : run.resync
          ? { kind: 'resync' }
          : { kind: 'update', externalChangeKeys: event instanceof ExternalConfigChange ? event.updatedKVs.keys() : undefined };
    return {
      type: 'commit',
      txn: run.txn,
      scope,
      description: [run.name, ...run.changes].join('\n * '),
      resync: method === undefined ? undefined : RESYNC_TYPES[method],
      startup: method === EventMethodType.FullResync && this.deps.state.resyncCount === 1,
      revertOnFailure: run.revertOnFailure,
    };
  }

  /** Steps 11, 13 and 14: finish the event, then tell the machine what follows from it. */
  private finish(run: EventRun): void {
    const { deps } = this;
    const { event, record, error } = run;
    record.processingEnd = deps.now();
    deps.log.finalized(record, error);
    deps.history.append(record);
    finish(event, error);
    if (run.timed) {
      const { handlerDurationsMs, commitDurationMs } = run;
      deps.processed.next({ record, error, durationMs: performance.now() - run.startedAt, handlerDurationsMs, commitDurationMs });
    }

    if (event instanceof Shutdown) {
      deps.queue.close();
      return;
    }
    if (run.fatal) {
      deps.notify({ type: 'loop.fatal', error: run.fatal });
      return;
    }
    if (event instanceof DBResync && !this.startupResyncDone) {
      this.startupResyncDone = true;
      deps.queue.openGate();
      deps.notify({ type: 'loop.startupResyncDone' });
    }
    // Step 13: the machine schedules the healing resync, once.
    if (run.needsHealing) deps.notify({ type: 'loop.needsHealing', error: error ?? toError('event needs healing') });
    // Step 14.
    if (deps.config.enableVerification && !error && !(event instanceof VerificationResync)) {
      try {
        deps.queue.pushFollowUp(new VerificationResync(), record.seqNum);
      } catch (pushError) {
        deps.logger.error({ seqNum: record.seqNum, err: pushError }, 'verification resync not queued');
      }
    }
  }
}
