import { EventMethodType, UpdateDirectionType, UpdateTransactionType } from './enums';

/** Something that has happened and may cause a reaction. */
export interface Event {
  /** An identifier unique among event types, readable by humans. */
  getName(): string;
  /** A description of this event. */
  toString(): string;
  /** Whether an incremental change can react to the event, or which resync it needs. */
  method(): EventMethodType;
  /** True if a producer ever waits for the result; such events cannot be pushed from inside the loop. */
  isBlocking(): boolean;
  /** Marks the event as processed, with its error if it failed. */
  done(err?: Error | null): void;
}

/** An event that can be reacted to by an incremental change. */
export interface UpdateEvent extends Event {
  transactionType(): UpdateTransactionType;
  direction(): UpdateDirectionType;
}

export function isUpdateEvent(event: Event): event is UpdateEvent {
  const candidate = event as Partial<UpdateEvent>;
  return typeof candidate.transactionType === 'function' && typeof candidate.direction === 'function';
}

/** Something the controller can push events into. */
export interface EventLoop {
  /** Queues the event; throws at once when it cannot be queued. */
  pushEvent(event: Event): void;
}
