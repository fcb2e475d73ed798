import { EventMethodType, UpdateDirectionType, UpdateTransactionType, type UpdateEvent } from '../../src';

/**
 * A user-defined event: set the MTU of one pod's interface. It is RevertOnFailure: if any
 * handler refuses the new MTU, the handlers that already accepted it are reverted and nothing
 * is committed. Blocking: the producer awaits `wait()` for the outcome.
 */
export class InterfaceMtuChange implements UpdateEvent {
  static readonly eventName = 'Interface MTU Change';
  private readonly outcome: Promise<void>;
  private settle!: (err?: Error | null) => void;

  constructor(
    readonly pod: string,
    readonly mtu: number,
  ) {
    this.outcome = new Promise<void>((resolve, reject) => {
      this.settle = (err) => (err ? reject(err) : resolve());
    });
    // Nobody may await a non-awaited event's failure: do not let it become an unhandled rejection.
    this.outcome.catch(() => undefined);
  }

  getName(): string {
    return InterfaceMtuChange.eventName;
  }

  toString(): string {
    return `${InterfaceMtuChange.eventName}\n * pod: ${this.pod}\n * mtu: ${this.mtu}`;
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

  /** Resolves when the event is processed; rejects with the handler's (or commit's) error. */
  wait(): Promise<void> {
    return this.outcome;
  }
}
