import { EventMethodType, UpdateDirectionType, UpdateTransactionType } from '../enums';
import type { UpdateEvent } from '../event';
import { Completion } from './completion';

/** The agent is closing: the last event through the handlers. */
export class Shutdown implements UpdateEvent {
  static readonly eventName = 'Shutdown';
  private readonly completion = new Completion();

  getName(): string {
    return Shutdown.eventName;
  }

  toString(): string {
    return Shutdown.eventName;
  }

  method(): EventMethodType {
    return EventMethodType.Update;
  }

  transactionType(): UpdateTransactionType {
    return UpdateTransactionType.BestEffort;
  }

  direction(): UpdateDirectionType {
    return UpdateDirectionType.Forward;
  }

  isBlocking(): boolean {
    return true;
  }

  done(err?: Error | null): void {
    this.completion.done(err);
  }

  wait(): Promise<void> {
    return this.completion.wait();
  }
}
