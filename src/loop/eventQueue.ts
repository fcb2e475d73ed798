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
  readonly followUpTo?: number;
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
  private readonly main = new Fifo<Event>();
  private readonly followUps = new Fifo<QueuedEvent>();
  /**
   * Everything pushed before the first DBResync is processed, in push order and not counted
   * against the bound (semantics: queueing). The first DBResync among them goes first; the others
   * are replayed right after it, in the order they were pushed, DBResyncs included: an older
   * snapshot must never overtake a newer change.
   */
  private held: Event[] = [];
  /** The Shutdown of close(): it goes first, after the event being processed. */
  private shutdown: Event | undefined;
  /** What was held, once the first DBResync is processed: served before the main queue. */
  private readonly replay = new Fifo<Event>();
  private gateOpen = false;
  private mode: Mode = { kind: 'accepting' };
  private readonly readySubject = new Subject<void>();
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
  pushMain(event: Event): void {
    if (this.finishIfAborting(event)) return;
    if (this.mode.kind !== 'accepting') throw new ControllerClosedError(event.getName());
    if (!this.gateOpen) {
      const isDbResync = event instanceof DBResync;
      const full = this.held.length >= this.capacity;
      if (full && !(isDbResync && !this.held.some((held) => held instanceof DBResync))) {
        this.mainCounts.refused++;
        throw new EventQueueFullError('main', this.capacity, event.getName());
      }
      this.mainCounts.added++;
      this.held.push(event);
      if (isDbResync) this.readySubject.next();
      return;
    }
    if (this.main.size >= this.capacity) {
      this.mainCounts.refused++;
      throw new EventQueueFullError('main', this.capacity, event.getName());
    }
    this.mainCounts.added++;
    this.main.push(event);
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
  pushFollowUp(event: Event, followUpTo: number): void {
    if (this.finishIfAborting(event)) return;
    if (this.mode.kind === 'closed') throw new ControllerClosedError(event.getName());
    if (this.followUps.size >= this.capacity) {
      this.followUpCounts.refused++;
      throw new EventQueueFullError('follow-up', this.capacity, event.getName());
    }
    this.followUpCounts.added++;
    this.followUps.push({ event, followUpTo });
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
    this.followUps.push({ event });
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
      return { event: shutdown };
    }
    const followUp = this.followUps.shift();
    if (followUp) return followUp;
    const replayed = this.replay.shift();
    if (replayed) return { event: replayed };
    if (!this.gateOpen) {
      const first = this.held.findIndex((event) => event instanceof DBResync);
      if (first >= 0) return { event: this.held.splice(first, 1)[0] };
    }
    const event = this.main.shift();
    return event ? { event } : undefined;
  }

  /** The event `next()` would return, without taking it. */
  peek(): Event | undefined {
    if (this.shutdown) return this.shutdown;
    const followUp = this.followUps.at(0);
    if (followUp) return followUp.event;
    const replayed = this.replay.at(0);
    if (replayed) return replayed;
    if (!this.gateOpen) return this.held.find((event) => event instanceof DBResync);
    return this.main.at(0);
  }

  /** The first DBResync is processed: delayed events go next, right after its follow-ups. */
  openGate(): void {
    if (this.gateOpen) return;
    this.gateOpen = true;
    for (const event of this.held) this.replay.push(event);
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

  /**
   * The loop drains until the queues are empty, so only an empty -> non-empty change needs a
   * wake-up: a burst of pushes costs one.
   */
  private signalIfFirst(): void {
    const waiting = this.main.size + this.followUps.size + this.replay.size + (this.shutdown ? 1 : 0);
    if (waiting === 1) this.readySubject.next();
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
    for (const event of this.main.drain()) finish(event, queuedError);
    for (const event of [...this.replay.drain(), ...this.held]) finish(event, delayedError);
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
