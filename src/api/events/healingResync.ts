import { EventMethodType, HealingResyncType } from '../enums';
import type { Event } from '../event';

/**
 * Why a healing resync runs, for metrics and dashboards: `failure` (an event failed), `outage`
 * (a retry while the southbound is unavailable, or the resync after one), `southbound_reset`
 * (the southbound lost its state), `periodic`.
 */
export type HealingCause = 'failure' | 'outage' | 'southbound_reset' | 'periodic';

/** Heals the agent: periodically (downstream), or with a full resync after an error. */
export class HealingResync implements Event {
  static readonly eventName = 'Healing Resync';
  readonly type: HealingResyncType;
  /** The error that made the healing necessary (AfterError only). */
  readonly error?: Error;
  readonly cause: HealingCause;

  constructor(fields: { type: HealingResyncType; error?: Error; cause?: HealingCause }) {
    this.type = fields.type;
    this.error = fields.error;
    this.cause = fields.cause ?? (fields.type === HealingResyncType.Periodic ? 'periodic' : 'failure');
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
