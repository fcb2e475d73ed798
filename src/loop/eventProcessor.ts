import type { AsyncLocalStorage } from 'node:async_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
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
import { Asker, type CallOutcome, type Request } from '../../actors/request';
import { commitOutcome, type CommitCall, type CommitOutcome, type CommitStagedCall, type StageCall, type StageOutcome } from '../../actors/transactionActor';
import { applyBookkeeping } from './bookkeeping';
import { CoalescedBatch } from './coalescedBatch';
import type { ConfigState } from './configState';
import type { EventHistory } from './eventHistory';
import type { EventLog } from './eventLog';
import { finish, type EventQueue, type QueuedEvent } from './eventQueue';
import { EventRun, type HandlerRef, type HandlerWaits, type SelectedHandler } from './eventRun';
import type { MergeScope } from './externalConfigMerge';
import { FailureBudget } from './failureBudget';
import type { CommitDescriber } from './lazyCommitRequest';
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
  /** How many coalesced commits may be out at once (the southbound's `maxCommitsInFlight`). */
  commitsInFlight: number;
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
const NO_MERGE: MergeScope = Object.freeze({ kind: 'none' });
const RESYNC_MERGE: MergeScope = Object.freeze({ kind: 'resync' });
const UPDATE_MERGE: MergeScope = Object.freeze({ kind: 'update' });

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
 * The steps are methods that go on to the next synchronously while every call answers at once,
 * and continue asynchronously only after a call that returned a promise: synchronous handlers
 * cost no promise and no microtask per event.
 *
 * With `coalesceUpdates`, consecutive best-effort updates form a batch: each goes through the
 * handlers on its own (its own record, change lines and `done()`), its transaction is staged with
 * the transaction actor, and the batch is committed once, when the next queued event cannot join
 * it, the queue is empty, or `maxCoalescedEvents` is reached. While a batch's commit is out (an
 * asynchronous southbound), the next batch is built: commits still go one at a time, in order,
 * and anything that cannot join a batch first waits for the commit in flight.
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
  /**
   * The coalesced commits in flight, oldest first, each settled once its events are finished
   * (after the events of the commits before it). The next batch is built meanwhile, so the
   * handlers' work overlaps the southbound's; each commit has an Asker of its own while `asker`
   * serves the next batch's calls.
   */
  private readonly landings: Promise<void>[] = [];
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
    const pending = this.deps.loopFrame.run(frame, this.start, queued);
    if (!pending) {
      frame.active = false;
      return undefined;
    }
    return pending.finally(() => {
      frame.active = false;
    });
  }

  /**
   * Commits a batch left open and waits for every commit in flight, its events finished: the loop
   * calls it when the queue is empty, and an event that cannot join a batch goes after it.
   */
  flush(): void | Promise<void> {
    const sent = this.batch.size === 0 ? undefined : this.flushBatch(false);
    return sent ? sent.then(() => this.lastLanding()) : this.lastLanding();
  }

  /** The event being processed (undefined between events). */
  currentEvent(): CurrentEvent | undefined {
    const run = this.current;
    if (!run) return undefined;
    const current: CurrentEvent = { seqNum: run.seqNum, name: run.name, startedAt: run.record?.processingStart ?? this.deps.clock.now() };
    if (run.waitingFor !== undefined) current.waitingFor = run.waitingFor;
    return current;
  }

  /*
   * The steps of one event, in order, one method per stage. Each stage goes on to the next
   * directly while every call answers at once, and only after a call that returned a promise
   * does it continue in that promise's `then`: a synchronous event allocates no promise, no
   * closure and no generator (GC was a third of the hot path). An exception in a stage fails the
   * event (`failed`), which is still finished exactly once. Steps 11-14 are in `finish`, after
   * the commit of a coalesced batch when the event joined one.
   */

  /** An arrow property: the loop frame calls it without a receiver, and a bound copy per event would be garbage. */
  private readonly start = ({ event, followUpTo, pushedAt }: QueuedEvent): void | Promise<void> => {
    const run = new EventRun(event, this.nextSeqNum++, followUpTo, this.deps.processed.observed, pushedAt);
    this.current = run;
    run.joins = this.coalescable(run);
    // A batch ends before anything that cannot join it, and its commit lands first.
    if (!run.joins) {
      const flushed = this.flush();
      if (flushed) {
        run.waitingFor = COMMIT;
        return flushed.then(() => {
          run.waitingFor = undefined;
          return this.bookkeep(run);
        });
      }
    }
    return this.bookkeep(run);
  };

  /** Steps 1-2: what the controller learns from the event before any handler runs. */
  private bookkeep(run: EventRun): void | Promise<void> {
    const { deps } = this;
    // Before anything that may wait: the machine learns at once that a resync is being processed
    // (the startup deadline is met when the first DBResync is taken, however long it then takes).
    this.setPhase(run.resync ? 'resyncing' : 'updating');
    if (run.invalid) return this.select(run, 0);
    try {
      const pending = applyBookkeeping(run.event, run.method as EventMethodType, deps);
      if (run.event instanceof HealingResync && run.event.type === HealingResyncType.AfterError) deps.notify({ type: 'loop.healingStarted' });
      if (pending) return pending.then(() => this.select(run, 0), (defect: unknown) => this.failed(run, defect));
    } catch (defect) {
      return this.failed(run, defect);
    }
    return this.select(run, 0);
  }

  /** Steps 3-4: handler order, then those whose handlesEvent is true. */
  private select(run: EventRun, from: number): void | Promise<void> {
    run.step = 'handler selection';
    try {
      const handlers = this.orderedHandlers(run);
      for (let i = from; i < handlers.length; i++) {
        const handler = handlers[i];
        run.waitingFor = handler.waits.handlesEvent;
        const settled = this.asker.ask<HandlerCall, boolean>(handler.actor, { type: 'handlesEvent', event: run.event, seqNum: run.seqNum, reply: this.asker.reply });
        if (settled instanceof Promise) return this.selectLater(run, handlers, i, settled);
        run.selectOutcome(handlers, i, settled);
      }
      return this.record(run);
    } catch (defect) {
      return this.failed(run, defect);
    }
  }

  /** Steps 5-6: the history record and the "new event" log line; a verification's first look. */
  private record(run: EventRun): void | Promise<void> {
    const { deps } = this;
    run.step = 'event record';
    try {
      const record = run.startRecord(deps.clock.now());
      if (deps.log.enabled) deps.log.newEvent(record, run.selected.map((h) => h.name));
      run.step = 'handler calls';
      deps.state.currentTxn = run.txn;
      if (run.event instanceof VerificationResync) {
        run.verification = new VerificationCheck(deps, this.asker, run.selected, run.seqNum);
        return run.verification.before().then(() => this.call(run, 0), (defect: unknown) => this.failed(run, defect));
      }
    } catch (defect) {
      return this.failed(run, defect);
    }
    return this.call(run, 0);
  }

  /** Step 7: the handlers build the transaction. */
  private call(run: EventRun, from: number): void | Promise<void> {
    try {
      const { selected } = run;
      for (let i = from; i < selected.length; i++) {
        const handler = selected[i];
        const start = run.timed ? performance.now() : 0;
        run.waitingFor = run.updateEvent ? handler.waits.update : handler.waits.resync;
        const outcome = this.callHandler(run, handler);
        if (outcome instanceof Promise) return this.callLater(run, handler, i, start, outcome);
        run.handlerDurationsMs?.push(performance.now() - start);
        if (run.recordCall(handler.name, outcome) === 'stop') break;
      }
      return this.afterCalls(run);
    } catch (defect) {
      return this.failed(run, defect);
    }
  }

  /** The handlers' turn is over: the transaction is closed; a verification's second look. */
  private afterCalls(run: EventRun): void | Promise<void> {
    run.txn.seal();
    if (!run.verification) return this.transact(run);
    return run.verification.after(run.record).then(() => this.transact(run), (defect: unknown) => this.failed(run, defect));
  }

  /**
   * Steps 8-9: the transaction actor merges external config and commits; for an event that
   * joins a batch it only stages the transaction (the batch is committed in `flushBatch`).
   */
  private transact(run: EventRun): void | Promise<void> {
    try {
      if (run.joins) {
        run.step = 'stage';
        if (!run.commits) return this.conclude(run);
        const staged = this.asker.ask<StageCall, StageOutcome>(this.transactionActor, this.stageCall(run));
        if (staged instanceof Promise) return this.stageLater(run, staged);
        run.recordStage(staged);
        return this.conclude(run);
      }
      run.step = 'commit';
      if (!run.commits) return this.revert(run, 0);
      const start = run.timed ? performance.now() : 0;
      run.waitingFor = COMMIT;
      const settled = this.asker.ask<CommitCall, CommitOutcome>(this.transactionActor, this.commitCall(run));
      if (settled instanceof Promise) return this.commitLater(run, start, settled);
      this.recordCommit(run, settled, start);
      return this.revert(run, 0);
    } catch (defect) {
      return this.failed(run, defect);
    }
  }

  private recordCommit(run: EventRun, settled: CallOutcome<CommitOutcome>, start: number): void {
    if (run.timed && (!settled.ok || settled.value.committed)) run.commitDurationMs = performance.now() - start;
    run.recordCommit(commitOutcome(settled));
  }

  /** Step 10: revert, from the `from`-th handler to revert on. */
  private revert(run: EventRun, from: number): void | Promise<void> {
    run.step = 'revert';
    if (!run.reverts) return this.conclude(run);
    try {
      this.setPhase('reverting');
      const handlers = run.handlersToRevert();
      for (let i = from; i < handlers.length; i++) {
        const handler = handlers[i];
        const start = run.timed ? performance.now() : 0;
        run.waitingFor = handler.waits.revert;
        const outcome = this.asker.ask<HandlerCall>(handler.actor, { type: 'revert', event: run.event, seqNum: run.seqNum, reply: this.asker.reply });
        if (outcome instanceof Promise) return this.revertLater(run, handler, i, start, outcome);
        run.handlerDurationsMs?.push(performance.now() - start);
        if (run.recordRevert(handler.name, outcome) === 'stop') break;
      }
    } catch (defect) {
      return this.failed(run, defect);
    }
    return this.conclude(run);
  }

  // The continuations after a call that answered with a promise. Kept out of the stages above:
  // a closure in a loop makes V8 allocate a context for every iteration, even when not created.

  private selectLater(run: EventRun, handlers: readonly HandlerRef[], i: number, pending: Promise<CallOutcome<boolean>>): Promise<void> {
    return pending.then((outcome) => {
      run.selectOutcome(handlers, i, outcome);
      return this.select(run, i + 1);
    });
  }

  private callLater(run: EventRun, handler: SelectedHandler, i: number, start: number, pending: Promise<CallOutcome>): Promise<void> {
    return pending.then((settled) => {
      run.handlerDurationsMs?.push(performance.now() - start);
      return run.recordCall(handler.name, settled) === 'stop' ? this.afterCalls(run) : this.call(run, i + 1);
    });
  }

  private stageLater(run: EventRun, pending: Promise<CallOutcome<StageOutcome>>): Promise<void> {
    return pending.then((outcome) => {
      run.recordStage(outcome);
      return this.conclude(run);
    });
  }

  private commitLater(run: EventRun, start: number, pending: Promise<CallOutcome<CommitOutcome>>): Promise<void> {
    return pending.then((outcome) => {
      this.recordCommit(run, outcome, start);
      return this.revert(run, 0);
    });
  }

  private revertLater(run: EventRun, handler: SelectedHandler, i: number, start: number, pending: Promise<CallOutcome>): Promise<void> {
    return pending.then((settled) => {
      run.handlerDurationsMs?.push(performance.now() - start);
      return run.recordRevert(handler.name, settled) === 'stop' ? this.conclude(run) : this.revert(run, i + 1);
    });
  }

  /** Something outside the handler calls threw: the event fails with it, and is concluded as usual. */
  private failed(run: EventRun, defect: unknown): void | Promise<void> {
    run.failStep(defect);
    return this.conclude(run);
  }

  /** The event is through its steps: finished now, or parked in the batch (committed when the batch ends). */
  private conclude(run: EventRun): void | Promise<void> {
    run.waitingFor = undefined;
    run.txn.seal();
    this.deps.state.currentTxn = undefined;
    if (!run.joins) {
      this.decideFatal(run);
      this.finish(run);
      run.release();
      return undefined;
    }
    this.batch.add(run);
    // A fatal error stops the loop taking events: nothing goes on while its batch is out.
    if (run.fatal) return this.flush();
    const next = this.deps.queue.peek();
    const more = next !== undefined && this.coalescableEvent(next);
    if (!more) return this.flushBatch(false);
    if (this.batch.size >= this.deps.config.maxCoalescedEvents) return this.flushBatch(true);
    return undefined;
  }

  /** The last coalesced commit sent: settled once every commit in flight has landed. */
  private lastLanding(): Promise<void> | undefined {
    const { landings } = this;
    return landings.length === 0 ? undefined : landings[landings.length - 1];
  }

  /**
   * Ends the batch: its commit goes out at once while fewer than `commitsInFlight` are out, else
   * once the oldest has landed (a promise meanwhile), and stays in flight while the loop goes on.
   */
  private flushBatch(nextBatchFollows: boolean): void | Promise<void> {
    const runs = this.batch.take();
    if (this.landings.length < this.deps.commitsInFlight) return this.commitBatch(runs, nextBatchFollows);
    // The loop waits for a commit in flight: the event that ended the batch shows it.
    if (this.current) this.current.waitingFor = COMMIT;
    const commit = (): void | Promise<void> => this.commitBatch(runs, nextBatchFollows);
    return this.landings[0].then(commit, commit);
  }

  /**
   * Commits what the batch staged, tells each event its part of the outcome, and finishes them in
   * order, after the events of any commit still in flight: at once when the southbound answers
   * at once and nothing is in flight, else when the commit lands.
   */
  private commitBatch(runs: readonly EventRun[], nextBatchFollows: boolean): void | Promise<void> {
    const staged = runs.filter((run) => run.stagedKeys !== undefined);
    const start = staged.length > 0 && staged[0].timed ? performance.now() : 0;
    /** Without an outcome (nothing was staged), the events are only finished. */
    const concludeWith = (settled: CallOutcome<CommitOutcome> | undefined): void => {
      if (settled) {
        const outcome = commitOutcome(settled);
        const commitDurationMs = staged[0].timed ? performance.now() - start : undefined;
        const batch = outcome.committed ? { first: staged[0].seqNum, size: staged.length } : undefined;
        for (const run of staged) {
          if (commitDurationMs !== undefined) run.commitDurationMs = commitDurationMs;
          run.recordBatchCommit(outcome, this.deps.state, batch);
        }
      }
      this.finishBatch(runs);
    };
    let settled: CallOutcome<CommitOutcome> | Promise<CallOutcome<CommitOutcome>> | undefined;
    if (staged.length > 0) {
      try {
        const asker = new Asker();
        settled = asker.ask<CommitStagedCall, CommitOutcome>(this.transactionActor, this.commitStagedCall(staged, asker));
      } catch (defect) {
        settled = { ok: false, error: toError(defect) };
      }
    }
    const previous = this.lastLanding();
    if (!previous && !(settled instanceof Promise)) {
      concludeWith(settled);
      return;
    }
    // The batch lands in a loop frame of its own: what its events' done() push are follow-ups, as
    // when the loop awaits the commit. Its events are finished after those of the commits sent
    // before it, whatever order the answers come in (an outage defers the next commit: it fails
    // at once, while the one before it may still be out).
    const frame: LoopFrame = { seqNum: runs[runs.length - 1].seqNum, active: true };
    // A landing never fails its successors: each has its own events to finish.
    const answered = previous ? previous.then(() => settled, () => settled) : (settled as Promise<CallOutcome<CommitOutcome>>);
    const landed = answered.then((outcome) => {
      this.landings.shift();
      try {
        this.deps.loopFrame.run(frame, concludeWith, outcome);
      } finally {
        frame.active = false;
      }
    });
    this.landings.push(landed);
    // When the next batch's handlers are about to hold the thread, a turn of the event loop sends
    // the commit first (grpc-js and HTTP/2 write in later jobs and immediates). Otherwise the loop
    // waits for the commit anyway, and a turn would only add its own cost (tens of µs here) to
    // every commit of a caller that awaits each event.
    return nextBatchFollows ? nextTurn() : undefined;
  }

  private finishBatch(runs: readonly EventRun[]): void {
    for (const run of runs) {
      this.decideFatal(run);
      this.finish(run);
      run.release();
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
    return run.updateEvent !== undefined && this.coalescableEvent(run.event);
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
    const { reply } = this.asker;
    const call: Request<HandlerCall> = run.updateEvent
      ? { type: 'update', event, seqNum, txn, reply }
      : { type: 'resync', event, seqNum, kubeState: state.kubeState, resyncCount: state.resyncCount, txn, reply };
    return this.asker.ask(handler.actor, call);
  }

  private mergeScope(run: EventRun): MergeScope {
    const { event, method } = run;
    if (method === EventMethodType.DownstreamResync) return NO_MERGE;
    if (run.resync) return RESYNC_MERGE;
    return event instanceof ExternalConfigChange ? { kind: 'update', externalChangeKeys: event.updatedKVs.keys() } : UPDATE_MERGE;
  }

  private commitCall(run: EventRun): Request<CommitCall> {
    const { method } = run;
    return {
      type: 'commit',
      reply: this.asker.reply,
      seqNum: run.seqNum,
      txn: run.txn,
      scope: this.mergeScope(run),
      describer: run,
      resync: method === undefined ? undefined : RESYNC_TYPES[method],
      startup: method === EventMethodType.FullResync && this.deps.state.resyncCount === 1,
      revertOnFailure: run.revertOnFailure,
      // Resyncs are still sent: they probe the southbound, and one that goes through ends the outage.
      deferred: !this.southboundAvailable && !run.resync,
    };
  }

  private stageCall(run: EventRun): Request<StageCall> {
    return { type: 'stage', seqNum: run.seqNum, txn: run.txn, scope: this.mergeScope(run), reply: this.asker.reply };
  }

  private commitStagedCall(runs: readonly EventRun[], asker: Asker): Request<CommitStagedCall> {
    const last = runs[runs.length - 1].seqNum;
    return {
      type: 'commitStaged',
      reply: asker.reply,
      seqNum: last,
      describer: runs.length === 1 ? runs[0] : new BatchDescriber(runs),
      startup: false,
      revertOnFailure: false,
      deferred: !this.southboundAvailable,
    };
  }

  /** Steps 11, 13 and 14: finish the event, then tell the machine what follows from it. */
  private finish(run: EventRun): void {
    const { deps } = this;
    const { event, error } = run;
    const end = deps.clock.now();
    const record = run.startRecord(end);
    record.processingEnd = end;
    record.seal();
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
    const processed: ProcessedEvent = {
      record: run.record,
      error: run.error,
      durationMs: performance.now() - run.startedAt,
      handlerDurationsMs: run.handlerDurationsMs ?? [],
      commitDurationMs: run.commitDurationMs,
    };
    if (!Number.isNaN(run.pushedAt)) processed.queueWaitMs = Math.max(0, run.startedAt - run.pushedAt);
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
class BatchDescriber implements CommitDescriber {
  constructor(private readonly runs: readonly EventRun[]) {}

  commitDescription(): string {
    const { runs } = this;
    const lines: string[] = [`${runs.length} coalesced events #${runs[0].seqNum}-#${runs[runs.length - 1].seqNum}`];
    let more = 0;
    for (const run of runs) {
      // Past the bound the lines are only counted: a batch of 256 events would build ~800 strings.
      if (lines.length > BATCH_DESCRIPTION_LINES) {
        more += run.record.changeLineCount();
        continue;
      }
      for (const change of run.record.changeLines()) {
        if (lines.length <= BATCH_DESCRIPTION_LINES) lines.push(`#${run.seqNum} ${change}`);
        else more++;
      }
    }
    if (more > 0) lines.push(`… (+${more} more change lines, in the events' records)`);
    return lines.join('\n * ');
  }
}
