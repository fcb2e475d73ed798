import { EventMethodType, HealingResyncType } from '../enums';
import type { Event } from '../event';

/** Heals the agent: periodically (downstream), or with a full resync after an error. */
export class HealingResync implements Event {
  static readonly eventName = 'Healing Resync';
  readonly type: HealingResyncType;
  /** The error that made the healing necessary (AfterError only). */
  readonly error?: Error;

  constructor(fields: { type: HealingResyncType; error?: Error }) {
    this.type = fields.type;
    this.error = fields.error;
  }

  getName(): string {
    return HealingResync.eventName;
  }

  toString(): string {
    if (this.type === HealingResyncType.Periodic) return `${HealingResync.eventName} (periodic)`;
    return `${HealingResync.eventName} (after error: ${this.error?.message ?? 'unknown'})`;
  }

  method(): EventMethodType {
    return this.type === HealingResyncType.Periodic ? EventMethodType.DownstreamResync : EventMethodType.FullResync;
  }

  isBlocking(): boolean {
    return false;
  }

  done(): void {}
}
