import { EventMethodType, UpdateDirectionType, UpdateTransactionType } from '../enums';
import type { UpdateEvent } from '../event';
import type { KeyValuePairs } from '../types';
import { Completion } from './completion';
import { keyList } from './describe';

/** A change of one or more keys of an external config source; `null` = the key was deleted. */
export class ExternalConfigChange implements UpdateEvent {
  static readonly eventName = 'External Config Change';
  readonly updatedKVs: KeyValuePairs = new Map();
  private readonly completion = new Completion();

  constructor(
    readonly source: string,
    private readonly blocking: boolean = false,
  ) {}

  getName(): string {
    return ExternalConfigChange.eventName;
  }

  toString(): string {
    return `${ExternalConfigChange.eventName}\n * source: ${this.source}\n * updated keys: ${keyList(this.updatedKVs)}`;
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
    return this.blocking;
  }

  done(err?: Error | null): void {
    this.completion.done(err);
  }

  /** Resolves when the event is processed, rejects with its error. */
  wait(): Promise<void> {
    return this.completion.wait();
  }
}
