import { CustomUpdateEvent, UpdateTransactionType } from '../../src';

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
export class PodMtuChange extends CustomUpdateEvent {
  static readonly eventName = 'Pod MTU Change';

  constructor(readonly mtu: number) {
    super({ name: PodMtuChange.eventName, transactionType: UpdateTransactionType.RevertOnFailure, blocking: true });
  }

  override toString(): string {
    return `${PodMtuChange.eventName}\n * mtu: ${this.mtu}`;
  }
}
