import { EventMethodType } from '../enums';
import type { Event } from '../event';

/** Verification mode: rebuilds the config after each event to check the handlers' internal state. */
export class VerificationResync implements Event {
  static readonly eventName = 'Verification Resync';

  getName(): string {
    return VerificationResync.eventName;
  }

  toString(): string {
    return VerificationResync.eventName;
  }

  method(): EventMethodType {
    return EventMethodType.UpstreamResync;
  }

  isBlocking(): boolean {
    return false;
  }

  done(): void {}
}
