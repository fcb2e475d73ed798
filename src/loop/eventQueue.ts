// rxjs' main entry loads all of rxjs (~220 modules, most of the package's load time): import
// only what is used, through the subpaths rxjs exports (`rxjs/internal/*`).
import type { Observable } from 'rxjs';
import { Subject } from 'rxjs/internal/Subject';
import { DBResync } from '../api/events/dbResync';
import { Shutdown } from '../api/events/shutdown';
import type { Event } from '../api/event';
import { ControllerClosedError, EventLoopAbortingError, EventQueueFullError } from '../api/errors';
import { Fifo } from './fifo';

/** An event waiting to be processed, and the event it follows up (pushed from inside the loop). */
export interface QueuedEvent {
  readonly event: Event;
  readonly followUpTo: number | undefined;
  /**
   * `performance.now()` when it was pushed, for its time in the queue; NaN when that was not
   * asked for (nobody observed processed events then, or the controller queued it itself).
   */
  readonly pushedAt: number;
}

/** One shape for every entry: the loop reads them all at the same sites. */
function entry(event: Event, followUpTo: number | undefined, pushedAt: number): QueuedEvent {
  return { event, followUpTo, pushedAt };
}

/** Cumulative counts of one queue, for metrics. */
export interface QueueCounts {
  /** Events accepted. */
  added: number;
  /** Pushes refused because the queue was full. */
  refused: number;
}

type Mode =
  | { kind: 'accepting' }
  | { kind: 'closing' }
  | { kind: 'closed' }
  | { kind: 'aborting'; error: Error };

/**
 * The controller's queues, in the order events leave them: follow-ups (pushed from inside the
 * loop), then events delayed until the first DBResync, then the main queue. Both bounded queues
 * reject at once when full; pushes never wait. `ready$` tells the loop that something is waiting.
 */
export class EventQueue {
  /*
   * Bare events: an entry object per push lives as long as the event waits, and a burst of
   * 200,000 of them cost the collector about 5% of the loop's time. The loop's entry is made when
   * the event is taken. Push times, when measured, wait beside them in `mainPushTimes` as pairs
   * (the event's push number, its time), so that measuring can start and stop at any moment
   * without an entry per event or a time per unmeasured one (a WeakMap from event to time cost
   * about a microsecond per event).
   */
  private readonly main = new Fifo<Event>();
  private readonly mainPushTimes = new Fifo<number>();
  private mainPushed = 0;
  private mainShifted = 0;
  private readonly followUps = new Fifo<QueuedEvent>();
  /**
   * Everything pushed before the first DBResync is processed, in push order and not counted
   * against the bound (semantics: queueing). The first DBResync among them goes first; the others
   * are replayed right after it, in the order they were pushed, DBResyncs included: an older
   * snapshot must never overtake a newer change.
   */
  private held: QueuedEvent[] = [];
  /** The Shutdown of close(): it goes first, after the event being processed. */
  private shutdown: Event | undefined;
  /** What was held, once the first DBResync is processed: served before the main queue. */
  private readonly replay = new Fifo<QueuedEvent>();
  private gateOpen = false;
  private mode: Mode = { kind: 'accepting' };
  private readonly readySubject = new Subject<void>();
  /** The loop is taking events: it finds what is pushed meanwhile without a wake-up. */
  private drainingNow = false;
  /** Main queue counts include the events held back before the first DBResync. */
  readonly mainCounts: QueueCounts = { added: 0, refused: 0 };
  readonly followUpCounts: QueueCounts = { added: 0, refused: 0 };
  readonly ready$: Observable<void> = this.readySubject.asObservable();

  constructor(private readonly capacity: number) {}

  get mainDepth(): number {
    return this.main.size;
  }

  get followUpDepth(): number {
    return this.followUps.size;
  }

  get delayedCount(): number {
    return this.held.length + this.replay.size;
  }

  /**
   * Queues an event pushed from outside the loop. Throws when it cannot be queued. Until the first
   * DBResync is processed, events are held back; they count against the same bound as the main
   * queue (the original refuses at `eventQueueSize` too), except the first DBResync that would be
   * waiting among them: refusing it would leave the controller waiting for it until the deadline.
   */
  pushMain(event: Event, pushedAt = NaN): void {
    if (this.finishIfAborting(event)) return;
    if (this.mode.kind !== 'accepting') throw new ControllerClosedError(event.getName());
    if (!this.gateOpen) {
      const isDbResync = event instanceof DBResync;
      const full = this.held.length >= this.capacity;
      if (full && !(isDbResync && !this.held.some((held) => held.event instanceof DBResync))) {
        this.mainCounts.refused++;
        throw new EventQueueFullError('main', this.capacity, event.getName());
      }
      this.mainCounts.added++;
      this.held.push(entry(event, undefined, pushedAt));
      if (isDbResync) this.readySubject.next();
      return;
    }
    if (this.main.size >= this.capacity) {
      this.mainCounts.refused++;
      throw new EventQueueFullError('main', this.capacity, event.getName());
    }
    this.mainCounts.added++;
    this.main.push(event);
    if (!Number.isNaN(pushedAt)) {
      this.mainPushTimes.push(this.mainPushed);
      this.mainPushTimes.push(pushedAt);
    }
    this.mainPushed++;
    this.signalIfFirst();
  }

  /**
   * Queues the Shutdown of close(): ahead of everything, whatever the bound, so that a full queue
   * cannot keep the controller from closing. What is still queued when it is processed is finished
   * with ControllerClosedError (a DB watcher's next start resyncs it).
   */
  pushShutdown(event: Shutdown): void {
    if (this.finishIfAborting(event)) return;
    if (this.mode.kind !== 'closing' || this.shutdown) throw new ControllerClosedError(event.getName());
    this.shutdown = event;
    this.readySubject.next();
  }

  /** Queues an event pushed from inside the loop while event `followUpTo` is processed. */
  pushFollowUp(event: Event, followUpTo: number, pushedAt = NaN): void {
    if (this.finishIfAborting(event)) return;
    if (this.mode.kind === 'closed') throw new ControllerClosedError(event.getName());
    if (this.followUps.size >= this.capacity) {
      this.followUpCounts.refused++;
      throw new EventQueueFullError('follow-up', this.capacity, event.getName());
    }
    this.followUpCounts.added++;
    this.followUps.push(entry(event, followUpTo, pushedAt));
    this.signalIfFirst();
  }

  /**
   * Queues an event ahead of the main queue, from outside the loop: a southbound that lost its
   * state must be resynced before any further update.
   */
  pushUrgent(event: Event): void {
    if (this.finishIfAborting(event)) return;
    if (this.mode.kind !== 'accepting') throw new ControllerClosedError(event.getName());
    if (this.followUps.size >= this.capacity) {
      this.followUpCounts.refused++;
      throw new EventQueueFullError('follow-up', this.capacity, event.getName());
    }
    this.followUpCounts.added++;
    this.followUps.push(entry(event, undefined, NaN));
    this.signalIfFirst();
  }

  get startupResyncDone(): boolean {
    return this.gateOpen;
  }

  /** The next event to process, if any. */
  next(): QueuedEvent | undefined {
    const shutdown = this.shutdown;
    if (shutdown) {
      this.shutdown = undefined;
      return entry(shutdown, undefined, NaN);
    }
    const followUp = this.followUps.shift();
    if (followUp) return followUp;
    const replayed = this.replay.shift();
    if (replayed) return replayed;
    if (!this.gateOpen) {
      const first = this.held.findIndex((held) => held.event instanceof DBResync);
      if (first >= 0) return this.held.splice(first, 1)[0];
    }
    const event = this.main.shift();
    return event && entry(event, undefined, this.mainPushTime());
  }

  /** The event `next()` would return, without taking it. */
  peek(): Event | undefined {
    if (this.shutdown) return this.shutdown;
    const followUp = this.followUps.at(0);
    if (followUp) return followUp.event;
    const replayed = this.replay.at(0);
    if (replayed) return replayed.event;
    if (!this.gateOpen) return this.held.find((held) => held.event instanceof DBResync)?.event;
    return this.main.at(0);
  }

  /** The first DBResync is processed: delayed events go next, right after its follow-ups. */
  openGate(): void {
    if (this.gateOpen) return;
    this.gateOpen = true;
    for (const held of this.held) this.replay.push(held);
    this.held = [];
    if (this.replay.size > 0) this.readySubject.next();
  }

  /** close() was called: only the Shutdown event is still taken from outside the loop. */
  beginClosing(): void {
    if (this.mode.kind === 'accepting') this.mode = { kind: 'closing' };
  }

  /** The Shutdown is being processed: everything else is finished with ControllerClosedError. */
  close(): void {
    if (this.mode.kind === 'aborting') return;
    this.mode = { kind: 'closed' };
    this.finishAll(new ControllerClosedError(), new ControllerClosedError());
    this.readySubject.complete();
  }

  /**
   * The loop is aborting: queued events are finished with `error`, events held back for the
   * startup resync with "event loop is aborting", and every later push at once with `error`.
   */
  abort(error: Error): void {
    if (this.mode.kind === 'aborting' || this.mode.kind === 'closed') return;
    this.mode = { kind: 'aborting', error };
    this.finishAll(error, new EventLoopAbortingError(error));
  }

  /** The loop starts taking events: until `endDrain`, it finds what is pushed without a wake-up. */
  beginDrain(): void {
    this.drainingNow = true;
  }

  /** Between `beginDrain` and `endDrain`: the loop is taking events. */
  get draining(): boolean {
    return this.drainingNow;
  }

  /**
   * The loop found nothing to take and stops: pushes wake it up again from now on. True when an
   * event is waiting after all (pushed since its last look, without a wake-up): it must go on.
   */
  endDrain(): boolean {
    this.drainingNow = false;
    return this.peek() !== undefined;
  }

  /**
   * The loop drains until the queues are empty, so only an empty -> non-empty change needs a
   * wake-up: a burst of pushes costs one. A loop that is draining needs none: a caller that
   * awaits each event pushes the next while the loop is still finishing the last one (a commit
   * that answered in a promise), and the wake-up, a scheduled action and a promise job, was a
   * few per cent of such an event's cost.
   */
  private signalIfFirst(): void {
    if (this.drainingNow) return;
    const waiting = this.main.size + this.followUps.size + this.replay.size + (this.shutdown ? 1 : 0);
    if (waiting === 1) this.readySubject.next();
  }

  /** The push time of the main-queue event just taken, if it was measured; NaN otherwise. */
  private mainPushTime(): number {
    const shifted = this.mainShifted++;
    if (this.mainPushTimes.at(0) !== shifted) return NaN;
    this.mainPushTimes.shift();
    return this.mainPushTimes.shift() as number;
  }

  isAborting(): boolean {
    return this.mode.kind === 'aborting';
  }

  private finishIfAborting(event: Event): boolean {
    if (this.mode.kind !== 'aborting') return false;
    finish(event, this.mode.error);
    return true;
  }

  private finishAll(queuedError: Error, delayedError: Error): void {
    if (this.shutdown) finish(this.shutdown, queuedError);
    this.shutdown = undefined;
    for (const { event } of this.followUps.drain()) finish(event, queuedError);
    this.mainShifted += this.main.size;
    this.mainPushTimes.drain();
    for (const event of this.main.drain()) finish(event, queuedError);
    for (const { event } of [...this.replay.drain(), ...this.held]) finish(event, delayedError);
    this.held = [];
  }
}

/** `done` of a user-defined event may throw: that must not stop the others from being finished. */
export function finish(event: Event, error?: Error): void {
  try {
    event.done(error ?? null);
  } catch {
    // The event's own defect; the loop goes on. The processor logs what it finishes itself.
  }
}
