import type { SessionKeyError, SessionResultPart, SessionTxnResult } from './sessionCodec';

/** A transaction's answer, with the messages that carried it both ways (for its recorded transaction). */
export interface TxnAnswer {
  /** The result, with the key errors of every part. */
  result: SessionTxnResult;
  /** The southbound's messages about it (TxnResultParts, then the TxnResult), as received. */
  received: Buffer[];
  /** The parts the client sent, when asked to keep them. */
  sent: Buffer[];
}

/** A transaction sent (or being sent) on the session, until its result arrives. */
export class PendingTxn {
  private readonly keyErrors: SessionKeyError[] = [];
  private readonly received: Buffer[] = [];
  readonly sentParts: Buffer[] = [];
  /** The end part went out: if the session breaks now, the outcome is unknown. */
  sent = false;
  settled = false;

  constructor(
    readonly keepSent: boolean,
    /** performance.now() by which the answer must have come. */
    readonly deadline: number,
    private readonly onAnswer: (answer: TxnAnswer) => void,
    private readonly onError: (error: Error) => void,
  ) {}

  addPart(part: SessionResultPart): void {
    for (const keyError of part.keyErrors) this.keyErrors.push(keyError);
    this.received.push(part.raw);
  }

  resolve(result: SessionTxnResult): void {
    if (!this.settle()) return;
    if (this.keyErrors.length > 0) result.keyErrors = this.keyErrors.concat(result.keyErrors);
    this.received.push(result.raw);
    this.onAnswer({ result, received: this.received, sent: this.sentParts });
  }

  reject(error: Error): void {
    if (this.settle()) this.onError(error);
  }

  private settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    return true;
  }
}
