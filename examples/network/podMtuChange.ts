import { EventMethodType, UpdateDirectionType, UpdateTransactionType, type UpdateEvent } from '../../src';

/**
 * A user-defined event: set the MTU of every pod's interface. RevertOnFailure: the pod network
 * applies it, then the service NAT refuses an MTU above its limit, so the pod network is reverted
 * and nothing is committed. Blocking: the producer awaits `wait()` for the outcome.
 *
 * ```ts
 * const change = new PodMtuChange(9000);
 * controller.pushEvent(change);
 * await change.wait(); // rejects with the refusal
 * ```
 */
export class PodMtuChange implements UpdateEvent {
  static readonly eventName = 'Pod MTU Change';
  private readonly outcome: Promise<void>;
  private settle!: (err?: Error | null) => void;

  constructor(readonly mtu: number) {
    this.outcome = new Promise<void>((resolve, reject) => {
      this.settle = (err) => (err ? reject(err) : resolve());
    });
    // A producer that never awaits must not turn a refusal into an unhandled rejection.
    this.outcome.catch(() => undefined);
  }

  getName(): string {
    return PodMtuChange.eventName;
  }

  toString(): string {
    return `${PodMtuChange.eventName}\n * mtu: ${this.mtu}`;
  }

  method(): EventMethodType {
    return EventMethodType.Update;
  }

  transactionType(): UpdateTransactionType {
    return UpdateTransactionType.RevertOnFailure;
  }

  direction(): UpdateDirectionType {
    return UpdateDirectionType.Forward;
  }

  isBlocking(): boolean {
    return true;
  }

  done(err?: Error | null): void {
    this.settle(err);
  }

  /** Resolves when the event is processed; rejects with the refusal (or the commit's error). */
  wait(): Promise<void> {
    return this.outcome;
  }
}
