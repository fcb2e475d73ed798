import { EventMethodType, UpdateDirectionType, UpdateTransactionType } from '../enums';
import type { UpdateEvent } from '../event';
import { Completion } from './completion';

export interface CustomUpdateEventOptions {
  /** `getName()`: unique among event types, readable by humans. */
  name: string;
  /** Default BestEffort. */
  transactionType?: UpdateTransactionType;
  /** Default Forward. */
  direction?: UpdateDirectionType;
  /** Default false. A producer of a blocking event awaits `wait()`. */
  blocking?: boolean;
}

/**
 * A base for user-defined update events: an Update with the given name, transaction type,
 * direction and blocking flag, whose `wait()` resolves when it is processed and rejects with its
 * error. Override `toString()` to describe the event's payload. (Any object implementing
 * `UpdateEvent` works as well; this saves writing the same seven methods again.)
 *
 * ```ts
 * class MtuChange extends CustomUpdateEvent {
 *   constructor(readonly mtu: number) {
 *     super({ name: 'MTU Change', transactionType: UpdateTransactionType.RevertOnFailure, blocking: true });
 *   }
 *   override toString(): string {
 *     return `MTU Change to ${this.mtu}`;
 *   }
 * }
 * controller.pushEvent(change);
 * await change.wait();
 * ```
 */
export class CustomUpdateEvent implements UpdateEvent {
  private readonly completion = new Completion();
  private readonly options: Required<CustomUpdateEventOptions>;

  constructor(options: CustomUpdateEventOptions) {
    this.options = {
      transactionType: UpdateTransactionType.BestEffort,
      direction: UpdateDirectionType.Forward,
      blocking: false,
      ...options,
    };
  }

  getName(): string {
    return this.options.name;
  }

  toString(): string {
    return this.options.name;
  }

  method(): EventMethodType {
    return EventMethodType.Update;
  }

  transactionType(): UpdateTransactionType {
    return this.options.transactionType;
  }

  direction(): UpdateDirectionType {
    return this.options.direction;
  }

  isBlocking(): boolean {
    return this.options.blocking;
  }

  done(err?: Error | null): void {
    this.completion.done(err);
  }

  wait(): Promise<void> {
    return this.completion.wait();
  }
}
