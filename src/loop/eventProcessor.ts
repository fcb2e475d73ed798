import type { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'pino';
import type { Subject } from 'rxjs';
import type { AnyActorRef } from 'xstate';
import type { ControllerClock } from '../api/clock';
import type { ControllerConfig } from '../api/config';
import { EventMethodType, HealingResyncType, UpdateDirectionType } from '../api/enums';
import { DBResync } from '../api/events/dbResync';
import { ExternalConfigChange } from '../api/events/externalConfigChange';
import { HealingResync } from '../api/events/healingResync';
import { Shutdown } from '../api/events/shutdown';
import { VerificationResync } from '../api/events/verificationResync';
import { FatalError, HealingFailedError, SouthboundUnavailableError, toError } from '../api/errors';
import type { Event } from '../api/event';
import type { ExternalConfigSource } from '../api/externalConfig';
import type { ProcessedEvent } from '../api/history';
import type { ResyncType } from '../api/southbound';
import type { LoopNotification, LoopPhase } from '../../machines/controller.events';
import type { HandlerCall } from '../../actors/handlerActor';
import { ask, type CallOutcome } from '../../actors/request';
import type { CommitCall, CommitOutcome } from '../../actors/transactionActor';
import { applyBookkeeping } from './bookkeeping';
import type { ConfigState } from './configState';
import type { EventHistory } from './eventHistory';
import type { EventLog } from './eventLog';
import { finish, type EventQueue, type QueuedEvent } from './eventQueue';
import { EventRun, type SelectedHandler } from './eventRun';
import type { MergeScope } from './externalConfigMerge';
import { FailureBudget } from './failureBudget';
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
  clock: ControllerClock;
  loopFrame: AsyncLocalStorage<LoopFrame>;
  /** When the event was pushed (performance.now()), if it was recorded: only while processed$ is observed. */
  pushedAt(event: Event): number | undefined;
}

/** The event being processed, for "how long has it been running". */
export interface CurrentEvent {
  seqNum: number;
  name: string;
  /** Epoch milliseconds (the controller's clock). */
  startedAt: number;
}

const RESYNC_TYPES: Partial<Record<EventMethodType, ResyncType>> = {
  [EventMethodType.FullResync]: 'full',
  [EventMethodType.UpstreamResync]: 'upstream',
  [EventMethodType.DownstreamResync]: 'downstream',
};

/**
 * Processes one event at a time: every step of "Processing one event" (docs/architecture.md), in
 * order; what an outcome means is decided by EventRun, the commit itself by the transaction
 * actor. It never throws and finishes every event exactly once: a defect in an event, a handler
 * or a step becomes that event's error. Every call is awaited only when it returned a promise:
 * synchronous handlers cost no microtask (an async helper per stage costs ~5 µs per event under
 * AsyncLocalStorage's promise hooks).
 */
export class EventProcessor {
  private nextSeqNum = 0;
  private phase: LoopPhase = 'idle';
  private startupResyncDone = false;
  /** What the last commit said of the southbound; while false, updates are not sent (an outage). */
  private southboundAvailable = true;
  private resyncCommitted = false;
  private readonly failureBudget: FailureBudget;
  private current: EventRun | undefined;

  constructor(private readonly deps: EventProcessorDeps) {
    this.failureBudget = new FailureBudget(deps.config.maxFailedEventsInPeriod, deps.config.failedEventsPeriod);
  }

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
    const run = new EventRun(event, this.nextSeqNum++, followUpTo, deps.processed.observed);
    this.current = run;
    // Before anything that may wait: the machine learns at once that a resync is being processed
    // (the startup deadline is met when the first DBResync is taken, however long it then takes).
    this.setPhase(run.resync ? 'resyncing' : 'updating');
    try {
      // Steps 1-2: what the controller learns from the event before any handler runs.
      if (!run.invalid) {
        const bookkeeping = applyBookkeeping(event, run.method as EventMethodType, deps);
        if (bookkeeping) await bookkeeping;
        if (event instanceof HealingResync && event.type === HealingResyncType.AfterError) deps.notify({ type: 'loop.healingStarted' });
      }
      // Steps 3-4: handler order, then those whose handlesEvent is true.
      run.step = 'handler selection';
      for (const name of this.orderedHandlers(run)) {
        const pending = ask<HandlerCall, boolean>(deps.handlerActor(name), { type: 'handlesEvent', event, seqNum: run.seqNum });
        const settled = pending instanceof Promise ? await pending : pending;
        if (!settled.ok) run.selected.push({ name, error: settled.error });
        else if (settled.value) run.selected.push({ name });
      }
      // Steps 5-6: history record and log.
      run.step = 'event record';
      deps.log.newEvent(run.startRecord(deps.clock.now()), run.selected.map((h) => h.name));

      // Step 7: the handlers build the transaction.
      run.step = 'handler calls';
      deps.state.currentTxn = run.txn;
      const verification = event instanceof VerificationResync ? new VerificationCheck(deps, run.selected.map((h) => h.name), run.seqNum) : undefined;
      if (verification) await verification.before();
      for (const handler of run.selected) {
        const start = run.timed ? performance.now() : 0;
        const pending = this.callHandler(run, handler);
        const outcome = pending instanceof Promise ? await pending : pending;
        if (run.timed) run.handlerDurationsMs.push(performance.now() - start);
        if (run.recordCall(handler.name, outcome) === 'stop') break;
      }
      run.txn.seal();
      if (verification) await verification.after(run.record);

      // Steps 8-9: the transaction actor merges external config and commits.
      run.step = 'commit';
      if (run.commits) {
        const start = run.timed ? performance.now() : 0;
        const pending = ask<CommitCall, CommitOutcome>(deps.transactionActor(), this.commitCall(run));
        const settled = pending instanceof Promise ? await pending : pending;
        if (run.timed && (!settled.ok || settled.value.committed)) run.commitDurationMs = performance.now() - start;
        run.recordCommit(settled.ok ? settled.value : { committed: true, error: settled.error, onlyExternalConfigFailed: false, mergeErrors: [] });
      }
      deps.state.currentTxn = undefined;

      // Step 10: revert.
      run.step = 'revert';
      if (run.reverts) {
        this.setPhase('reverting');
        for (const handler of run.handlersToRevert()) {
          const start = run.timed ? performance.now() : 0;
          const pending = ask<HandlerCall>(deps.handlerActor(handler.name), { type: 'revert', event, seqNum: run.seqNum });
          const outcome = pending instanceof Promise ? await pending : pending;
          if (run.timed) run.handlerDurationsMs.push(performance.now() - start);
          if (run.recordRevert(handler.name, outcome) === 'stop') break;
        }
      }
    } catch (defect) {
      run.failStep(defect);
    }
    run.txn.seal();
    deps.state.currentTxn = undefined;

    // Step 12, decided before finishing so that the event is finished with its final error: the
    // healing did not heal, because the handlers could not rebuild the configuration. Keys the
    // southbound rejected are not that (it retries them, and another healing follows); an
    // outage or a failure of external config alone needs no healing at all.
    if (!run.fatal && run.needsHealing && run.handlerFailed && event instanceof HealingResync && event.type === HealingResyncType.AfterError) {
      run.fatal = new FatalError(new HealingFailedError(run.error));
    }
    if (run.fatal && !(run.error instanceof FatalError)) run.error = run.fatal;

    this.finish(run);
  }

  /** The event being processed (undefined between events). */
  currentEvent(): CurrentEvent | undefined {
    const run = this.current;
    if (!run) return undefined;
    return { seqNum: run.seqNum, name: run.name, startedAt: run.record?.processingStart ?? this.deps.clock.now() };
  }

  /** Registration order; reversed for a Reverse update; none for a downstream resync. */
  private orderedHandlers(run: EventRun): readonly string[] {
    if (run.invalid || run.method === EventMethodType.DownstreamResync) return [];
    const names = this.deps.handlerNames;
    return run.updateEvent && run.direction === UpdateDirectionType.Reverse ? [...names].reverse() : names;
  }

  private callHandler(run: EventRun, handler: SelectedHandler): CallOutcome | Promise<CallOutcome> {
    if (handler.error) return { ok: false, error: handler.error };
    const { event, txn, seqNum } = run;
    const { state } = this.deps;
    const call: HandlerCall = run.updateEvent
      ? { type: 'update', event, seqNum, txn }
      : { type: 'resync', event, seqNum, kubeState: state.kubeState, resyncCount: state.resyncCount, txn };
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
      seqNum: run.seqNum,
      txn: run.txn,
      scope,
      description: [run.name, ...run.changes].join('\n * '),
      resync: method === undefined ? undefined : RESYNC_TYPES[method],
      startup: method === EventMethodType.FullResync && this.deps.state.resyncCount === 1,
      revertOnFailure: run.revertOnFailure,
      // Resyncs are still sent: they probe the southbound, and one that goes through ends the outage.
      deferred: !this.southboundAvailable && !run.resync,
    };
  }

  /** Steps 11, 13 and 14: finish the event, then tell the machine what follows from it. */
  private finish(run: EventRun): void {
    const { deps } = this;
    const { event, error } = run;
    const record = run.startRecord(deps.clock.now());
    record.processingEnd = deps.clock.now();
    this.guarded(run, 'history', () => deps.history.append(record));
    this.guarded(run, 'log', () => deps.log.finalized(record, error));
    finish(event, error);
    this.current = undefined;
    if (run.timed) {
      const { handlerDurationsMs, commitDurationMs } = run;
      const pushedAt = deps.pushedAt(event);
      this.guarded(run, 'processed$', () =>
        deps.processed.next({
          record,
          error,
          durationMs: performance.now() - run.startedAt,
          handlerDurationsMs,
          commitDurationMs,
          ...(pushedAt !== undefined && { queueWaitMs: Math.max(0, run.startedAt - pushedAt) }),
        }),
      );
    }

    let fatal = run.fatal;
    if (!fatal && error && !(error instanceof SouthboundUnavailableError)) {
      const escalation = this.failureBudget.recordFailure(deps.clock.now());
      if (escalation) fatal = new FatalError(escalation);
    }
    if (fatal) {
      deps.notify({ type: 'loop.fatal', error: fatal });
      if (event instanceof Shutdown) deps.queue.close();
      return;
    }
    if (event instanceof Shutdown) {
      deps.queue.close();
      return;
    }
    if (event instanceof DBResync && !this.startupResyncDone) {
      this.startupResyncDone = true;
      this.resyncCommitted = run.committed;
      deps.queue.openGate();
      deps.notify({ type: 'loop.startupResyncDone', committed: run.committed });
    }
    this.trackSouthbound(run);
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

  /** Tells the machine when the southbound becomes unavailable or available, and when a resync first reached it. */
  private trackSouthbound(run: EventRun): void {
    const { deps } = this;
    const wholeConfig = run.method === EventMethodType.FullResync || run.method === EventMethodType.UpstreamResync;
    if (run.southboundUnavailable) {
      // A healing resync that finds the southbound still unavailable is a failed retry: the machine backs off.
      if (this.southboundAvailable || run.event instanceof HealingResync) deps.notify({ type: 'loop.southboundUnavailable', error: run.southboundUnavailable });
      this.southboundAvailable = false;
      return;
    }
    if (!run.committed) return;
    if (!this.southboundAvailable) {
      this.southboundAvailable = true;
      deps.notify({ type: 'loop.southboundAvailable', resynced: wholeConfig });
    }
    if (wholeConfig && !this.resyncCommitted) {
      this.resyncCommitted = true;
      deps.notify({ type: 'loop.resyncCommitted' });
    }
  }

  /** Bookkeeping after the event is processed must not stop the event from being finished. */
  private guarded(run: EventRun, what: string, step: () => void): void {
    try {
      step();
    } catch (error) {
      this.deps.logger.error({ seqNum: run.seqNum, err: toError(error) }, `${what} of a finished event failed`);
    }
  }
}
