import type { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'pino';
import type { Subject } from 'rxjs';
import type { AnyActorRef } from 'xstate';
import type { ControllerClock } from '../api/clock';
import type { ControllerConfig } from '../api/config';
import { EventMethodType, HealingResyncType, UpdateDirectionType } from '../api/enums';
import type { Event } from '../api/event';
import { DBResync } from '../api/events/dbResync';
import { ExternalConfigChange } from '../api/events/externalConfigChange';
import { HealingResync } from '../api/events/healingResync';
import { Shutdown } from '../api/events/shutdown';
import { VerificationResync } from '../api/events/verificationResync';
import { FatalError, HealingFailedError, SouthboundUnavailableError, toError } from '../api/errors';
import type { ExternalConfigSource } from '../api/externalConfig';
import type { ProcessedEvent } from '../api/history';
import type { ResyncType } from '../api/southbound';
import type { LoopNotification, LoopPhase } from '../../machines/controller.events';
import type { HandlerCall } from '../../actors/handlerActor';
import { Asker, type CallOutcome } from '../../actors/request';
import type { CommitCall, CommitOutcome, CommitStagedCall, StageCall, StageOutcome } from '../../actors/transactionActor';
import { applyBookkeeping } from './bookkeeping';
import { CoalescedBatch } from './coalescedBatch';
import type { ConfigState } from './configState';
import type { EventHistory } from './eventHistory';
import type { EventLog } from './eventLog';
import { finish, type EventQueue, type QueuedEvent } from './eventQueue';
import { EventRun, type HandlerRef, type HandlerWaits, type SelectedHandler } from './eventRun';
import type { MergeScope } from './externalConfigMerge';
import { FailureBudget } from './failureBudget';
import { runSteps, type Steps } from './steps';
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

/** The event being processed, for "how long has it been running" and "what holds it". */
export interface CurrentEvent {
  seqNum: number;
  name: string;
  /** Epoch milliseconds (the controller's clock). */
  startedAt: number;
  /** The call the event is waiting for, if any: a handler's method, or the commit to the southbound. */
  waitingFor?: { handler: string; call: 'handlesEvent' | 'update' | 'resync' | 'revert' | 'describeInternalData' } | { commit: true };
}

const COMMIT = Object.freeze({ commit: true as const });

const RESYNC_TYPES: Partial<Record<EventMethodType, ResyncType>> = {
  [EventMethodType.FullResync]: 'full',
  [EventMethodType.UpstreamResync]: 'upstream',
  [EventMethodType.DownstreamResync]: 'downstream',
};

/**
 * Processes one event at a time: every step of "Processing one event" (docs/semantics.md), in
 * order; what an outcome means is decided by EventRun, the commits by the transaction actor. It
 * never throws and finishes every event exactly once: a defect in an event, a handler or a step
 * becomes that event's error.
 *
 * The steps are a generator run by `runSteps`: they go on synchronously while every call answers
 * at once, and continue asynchronously only after a call that returned a promise. Synchronous
 * handlers therefore cost no promise and no microtask per event.
 *
 * With `coalesceUpdates`, consecutive best-effort updates form a batch: each goes through the
 * handlers on its own (its own record, change lines and `done()`), its transaction is staged with
 * the transaction actor, and the batch is committed once, when the next queued event cannot join
 * it, the queue is empty, or `maxCoalescedEvents` is reached.
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
  private readonly batch = new CoalescedBatch();
  private readonly asker = new Asker();
  /** The handler actors in registration order, and reversed (looked up on first use: they are spawned with the machine). */
  private handlers: readonly HandlerRef[] | undefined;
  private reversedHandlers: readonly HandlerRef[] | undefined;
  private transactionRef: AnyActorRef | undefined;

  constructor(private readonly deps: EventProcessorDeps) {
    this.failureBudget = new FailureBudget(deps.config.maxFailedEventsInPeriod, deps.config.failedEventsPeriod);
  }

  /** Tells the machine about a phase change; a burst of same-phase events costs one transition. */
  setPhase(phase: LoopPhase): void {
    if (phase === this.phase) return;
    this.phase = phase;
    this.deps.notify({ type: 'loop.phase', phase });
  }

  /** Processes one event; returns a promise only when something had to be awaited. */
  process(queued: QueuedEvent): void | Promise<void> {
    const frame: LoopFrame = { seqNum: this.nextSeqNum, active: true };
    const pending = this.deps.loopFrame.run(frame, runSteps, this.steps(queued));
    if (!pending) {
      frame.active = false;
      return undefined;
    }
    return pending.finally(() => {
      frame.active = false;
    });
  }

  /** Commits and finishes a batch left open (the loop calls it when the queue is empty). */
  flush(): void | Promise<void> {
    if (this.batch.size === 0) return undefined;
    return runSteps(this.flushSteps());
  }

  /** The event being processed (undefined between events). */
  currentEvent(): CurrentEvent | undefined {
    const run = this.current;
    if (!run) return undefined;
    const current: CurrentEvent = { seqNum: run.seqNum, name: run.name, startedAt: run.record?.processingStart ?? this.deps.clock.now() };
    if (run.waitingFor !== undefined) current.waitingFor = run.waitingFor;
    return current;
  }

  /**
   * Every step of one event, in order (one generator per event: each `yield` is a call that may
   * answer later). Steps 11-14 are in `finish`, after the commit of a coalesced batch when the
   * event joined one.
   */
  private *steps({ event, followUpTo }: QueuedEvent): Steps {
    const { deps, asker } = this;
    const run = new EventRun(event, this.nextSeqNum++, followUpTo, deps.processed.observed);
    this.current = run;
    const joins = this.coalescable(run);
    // A batch ends before anything that cannot join it.
    if (!joins && this.batch.size > 0) yield* this.flushSteps();
    // Before anything that may wait: the machine learns at once that a resync is being processed
    // (the startup deadline is met when the first DBResync is taken, however long it then takes).
    this.setPhase(run.resync ? 'resyncing' : 'updating');
    try {
      // Steps 1-2: what the controller learns from the event before any handler runs.
      if (!run.invalid) {
        const bookkeeping = applyBookkeeping(event, run.method as EventMethodType, deps);
        if (bookkeeping) yield bookkeeping;
        if (event instanceof HealingResync && event.type === HealingResyncType.AfterError) deps.notify({ type: 'loop.healingStarted' });
      }
      // Steps 3-4: handler order, then those whose handlesEvent is true.
      run.step = 'handler selection';
      for (const handler of this.orderedHandlers(run)) {
        run.waitingFor = handler.waits.handlesEvent;
        const settled = (yield asker.ask<HandlerCall, boolean>(handler.actor, { type: 'handlesEvent', event, seqNum: run.seqNum })) as CallOutcome<boolean>;
        if (!settled.ok) run.selected.push({ ...handler, error: settled.error });
        else if (settled.value) run.selected.push(handler);
      }
      // Steps 5-6: history record and log.
      run.step = 'event record';
      const record = run.startRecord(deps.clock.now());
      if (deps.log.enabled) deps.log.newEvent(record, run.selected.map((h) => h.name));

      // Step 7: the handlers build the transaction.
      run.step = 'handler calls';
      deps.state.currentTxn = run.txn;
      const verification = event instanceof VerificationResync ? new VerificationCheck(deps, asker, run.selected, run.seqNum) : undefined;
      if (verification) yield verification.before();
      for (const handler of run.selected) {
        const start = run.timed ? performance.now() : 0;
        run.waitingFor = run.updateEvent ? handler.waits.update : handler.waits.resync;
        const outcome = (yield this.callHandler(run, handler)) as CallOutcome;
        run.handlerDurationsMs?.push(performance.now() - start);
        if (run.recordCall(handler.name, outcome) === 'stop') break;
      }
      run.txn.seal();
      if (verification) yield verification.after(run.record);

      if (joins) {
        // Coalescing: the transaction actor merges external config and stages the transaction.
        run.step = 'stage';
        if (run.commits) run.recordStage((yield asker.ask<StageCall, StageOutcome>(this.transactionActor, this.stageCall(run))) as CallOutcome<StageOutcome>);
      } else {
        // Steps 8-9: the transaction actor merges external config and commits.
        run.step = 'commit';
        if (run.commits) {
          const start = run.timed ? performance.now() : 0;
          run.waitingFor = COMMIT;
          const settled = (yield asker.ask<CommitCall, CommitOutcome>(this.transactionActor, this.commitCall(run))) as CallOutcome<CommitOutcome>;
          if (run.timed && (!settled.ok || settled.value.committed)) run.commitDurationMs = performance.now() - start;
          run.recordCommit(settled.ok ? settled.value : { committed: true, error: settled.error, onlyExternalConfigFailed: false, mergeErrors: [] });
        }
        // Step 10: revert.
        run.step = 'revert';
        if (run.reverts) {
          this.setPhase('reverting');
          for (const handler of run.handlersToRevert()) {
            const start = run.timed ? performance.now() : 0;
            run.waitingFor = handler.waits.revert;
            const outcome = (yield asker.ask<HandlerCall>(handler.actor, { type: 'revert', event, seqNum: run.seqNum })) as CallOutcome;
            run.handlerDurationsMs?.push(performance.now() - start);
            if (run.recordRevert(handler.name, outcome) === 'stop') break;
          }
        }
      }
    } catch (defect) {
      run.failStep(defect);
    }
    run.waitingFor = undefined;
    run.txn.seal();
    deps.state.currentTxn = undefined;
    if (!joins) {
      this.decideFatal(run);
      this.finish(run);
      return;
    }
    this.batch.add(run);
    const next = deps.queue.peek();
    const full = this.batch.size >= deps.config.maxCoalescedEvents;
    if (run.fatal || full || !next || !this.coalescableEvent(next)) yield* this.flushSteps();
  }

  /** Commits what the batch staged, tells each event its part of the outcome, and finishes them in order. */
  private *flushSteps(): Steps {
    const runs = this.batch.take();
    const staged = runs.filter((run) => run.stagedKeys !== undefined);
    if (staged.length > 0) {
      const start = staged[0].timed ? performance.now() : 0;
      let outcome: CommitOutcome;
      try {
        const settled = (yield this.asker.ask<CommitStagedCall, CommitOutcome>(this.transactionActor, this.commitStagedCall(staged))) as CallOutcome<CommitOutcome>;
        outcome = settled.ok ? settled.value : { committed: true, error: settled.error, onlyExternalConfigFailed: false, mergeErrors: [] };
      } catch (defect) {
        outcome = { committed: true, error: toError(defect), onlyExternalConfigFailed: false, mergeErrors: [] };
      }
      const commitDurationMs = staged[0].timed ? performance.now() - start : undefined;
      const batch = outcome.committed ? { first: staged[0].seqNum, size: staged.length } : undefined;
      for (const run of staged) {
        if (commitDurationMs !== undefined) run.commitDurationMs = commitDurationMs;
        run.recordBatchCommit(outcome, this.deps.state, batch);
      }
    }
    for (const run of runs) {
      this.decideFatal(run);
      this.finish(run);
    }
  }

  /** Whether a queued event may join a batch: a non-blocking best-effort update. */
  private coalescableEvent(event: Event): boolean {
    if (!this.deps.config.coalesceUpdates || event instanceof Shutdown) return false;
    try {
      return event.method() === EventMethodType.Update && !event.isBlocking() && CoalescedBatch.bestEffort(event);
    } catch {
      return false;
    }
  }

  private coalescable(run: EventRun): boolean {
    return this.deps.config.coalesceUpdates && run.updateEvent !== undefined && !run.revertOnFailure && this.coalescableEvent(run.event);
  }

  /**
   * Step 12, decided before finishing so that the event is finished with its final error: the
   * healing did not heal, because the handlers could not rebuild the configuration. Keys the
   * southbound rejected are not that (it retries them, and another healing follows); an outage
   * or a failure of external config alone needs no healing at all.
   */
  private decideFatal(run: EventRun): void {
    const { event } = run;
    if (!run.fatal && run.needsHealing && run.handlerFailed && event instanceof HealingResync && event.type === HealingResyncType.AfterError) {
      run.fatal = new FatalError(new HealingFailedError(run.error));
    }
    if (run.fatal && !(run.error instanceof FatalError)) run.error = run.fatal;
  }

  /** Registration order; reversed for a Reverse update; none for a downstream resync. */
  private orderedHandlers(run: EventRun): readonly HandlerRef[] {
    if (run.invalid || run.method === EventMethodType.DownstreamResync) return [];
    this.handlers ??= this.deps.handlerNames.map((name) => ({ name, actor: this.deps.handlerActor(name), waits: handlerWaits(name) }));
    this.reversedHandlers ??= [...this.handlers].reverse();
    return run.updateEvent && run.direction === UpdateDirectionType.Reverse ? this.reversedHandlers : this.handlers;
  }

  /** The transaction actor, looked up once (it lives as long as the machine). */
  private get transactionActor(): AnyActorRef {
    this.transactionRef ??= this.deps.transactionActor();
    return this.transactionRef;
  }

  private callHandler(run: EventRun, handler: SelectedHandler): CallOutcome | Promise<CallOutcome> {
    if (handler.error) return { ok: false, error: handler.error };
    const { event, txn, seqNum } = run;
    const { state } = this.deps;
    const call: HandlerCall = run.updateEvent
      ? { type: 'update', event, seqNum, txn }
      : { type: 'resync', event, seqNum, kubeState: state.kubeState, resyncCount: state.resyncCount, txn };
    return this.asker.ask(handler.actor, call);
  }

  private mergeScope(run: EventRun): MergeScope {
    const { event, method } = run;
    if (method === EventMethodType.DownstreamResync) return { kind: 'none' };
    if (run.resync) return { kind: 'resync' };
    return { kind: 'update', externalChangeKeys: event instanceof ExternalConfigChange ? event.updatedKVs.keys() : undefined };
  }

  private commitCall(run: EventRun): CommitCall {
    const { method } = run;
    return {
      type: 'commit',
      seqNum: run.seqNum,
      txn: run.txn,
      scope: this.mergeScope(run),
      description: run.commitDescription(),
      resync: method === undefined ? undefined : RESYNC_TYPES[method],
      startup: method === EventMethodType.FullResync && this.deps.state.resyncCount === 1,
      revertOnFailure: run.revertOnFailure,
      // Resyncs are still sent: they probe the southbound, and one that goes through ends the outage.
      deferred: !this.southboundAvailable && !run.resync,
    };
  }

  private stageCall(run: EventRun): StageCall {
    return { type: 'stage', seqNum: run.seqNum, txn: run.txn, scope: this.mergeScope(run) };
  }

  private commitStagedCall(runs: readonly EventRun[]): CommitStagedCall {
    const last = runs[runs.length - 1].seqNum;
    return {
      type: 'commitStaged',
      seqNum: last,
      description: runs.length === 1 ? runs[0].commitDescription() : batchDescription(runs),
      startup: false,
      revertOnFailure: false,
      deferred: !this.southboundAvailable,
    };
  }

  /** Steps 11, 13 and 14: finish the event, then tell the machine what follows from it. */
  private finish(run: EventRun): void {
    const { deps } = this;
    const { event, error } = run;
    const record = run.startRecord(deps.clock.now());
    record.processingEnd = deps.clock.now();
    // What follows must not keep the event from being finished: each step is guarded.
    try {
      deps.history.append(record);
      if (deps.log.enabled) deps.log.finalized(record, error);
    } catch (defect) {
      this.reportDefect(run, 'history or log', defect);
    }
    finish(event, error);
    if (this.current === run) this.current = undefined;
    if (run.timed) {
      try {
        deps.processed.next(this.processedEvent(run));
      } catch (defect) {
        this.reportDefect(run, 'processed$', defect);
      }
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

  private processedEvent(run: EventRun): ProcessedEvent {
    const pushedAt = this.deps.pushedAt(run.event);
    const processed: ProcessedEvent = {
      record: run.record,
      error: run.error,
      durationMs: performance.now() - run.startedAt,
      handlerDurationsMs: run.handlerDurationsMs ?? [],
      commitDurationMs: run.commitDurationMs,
    };
    if (pushedAt !== undefined) processed.queueWaitMs = Math.max(0, run.startedAt - pushedAt);
    if (run.event instanceof HealingResync) processed.healingCause = run.event.cause;
    return processed;
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

  private reportDefect(run: EventRun, what: string, defect: unknown): void {
    this.deps.logger.error({ seqNum: run.seqNum, err: toError(defect) }, `${what} of a finished event failed`);
  }
}

function handlerWaits(handler: string): HandlerWaits {
  return Object.freeze({
    handlesEvent: Object.freeze({ handler, call: 'handlesEvent' as const }),
    update: Object.freeze({ handler, call: 'update' as const }),
    resync: Object.freeze({ handler, call: 'resync' as const }),
    revert: Object.freeze({ handler, call: 'revert' as const }),
  });
}

/** Lines of a coalesced commit's description: bounded; each event's own lines stay in its record. */
const BATCH_DESCRIPTION_LINES = 16;

/** "N coalesced events #a-#b" and the first change lines, each with its event's sequence number. */
function batchDescription(runs: readonly EventRun[]): string {
  const lines: string[] = [`${runs.length} coalesced events #${runs[0].seqNum}-#${runs[runs.length - 1].seqNum}`];
  let more = 0;
  for (const run of runs) {
    for (const change of run.changes) {
      if (lines.length <= BATCH_DESCRIPTION_LINES) lines.push(`#${run.seqNum} ${change}`);
      else more++;
    }
  }
  if (more > 0) lines.push(`… (+${more} more change lines, in the events' records)`);
  return lines.join('\n * ');
}
