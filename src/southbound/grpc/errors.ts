import * as grpc from '@grpc/grpc-js';
import { grpcMessage, tidyGrpcText } from '../../grpcMessage';
import { ControllerError, SouthboundUnavailableError, TransactionError } from '../../api/errors';
import type { TlsFailure } from './tlsDiagnosis';

/*
 * How a commit fails, by class (the controller branches on them):
 * - SouthboundUnavailableError and its subclasses below: the southbound is out of reach or
 *   restarting. An outage: the controller keeps going, retries, and runs a full resync once a
 *   commit goes through again.
 * - SouthboundTlsError, SouthboundRefusedError, and TransactionError with key or init errors: the
 *   southbound answered, and waiting will not change the answer: a configuration error.
 */

/** No session with the southbound within the connect timeout (nothing listening, down, restarting): nothing was sent. */
export class SouthboundUnreachableError extends SouthboundUnavailableError {
  constructor(readonly address: string, cause: unknown) {
    super(`southbound at ${address} is unreachable: ${describeGrpcError(cause)}`, { cause });
  }
}

/**
 * The session broke while the commit was in flight (connection dropped, southbound shutting
 * down). `sent` false: the transaction was not sent completely, so nothing of it was applied.
 * `sent` true: it broke after the end part went out, so the outcome is unknown; the full resync
 * that follows an outage makes it irrelevant.
 */
export class SouthboundConnectionLostError extends SouthboundUnavailableError {
  constructor(readonly address: string, readonly sent: boolean, cause: unknown) {
    const outcome = sent ? 'after the transaction was sent: its outcome is unknown' : 'before the transaction was sent completely: nothing of it was applied';
    super(`session with the southbound at ${address} broke ${outcome} (${describeGrpcError(cause)})`, { cause });
  }
}

/** No answer within the commit deadline: the outcome is unknown; the session is re-opened. */
export class SouthboundCommitTimeoutError extends SouthboundUnavailableError {
  constructor(readonly address: string, readonly deadlineMs: number) {
    super(`no answer from the southbound at ${address} within ${deadlineMs} ms: the outcome of the transaction is unknown`);
  }
}

/**
 * TLS with the southbound failed (unknown CA, name mismatch, expired certificate, client
 * certificate refused, ...). Not an outage: the certificates or the settings must change, so it
 * is a configuration error that names its cause rather than an "unreachable" waited out forever.
 */
export class SouthboundTlsError extends TransactionError {
  readonly reason: TlsFailure['reason'];
  constructor(readonly address: string, failure: TlsFailure) {
    super({ initError: `TLS with the southbound at ${address} failed: ${failure.detail}`, cause: failure.cause });
    this.reason = failure.reason;
  }
}

/**
 * The southbound refused the session or the transaction with a gRPC status (bad token, a
 * transaction over its byte or time bound, a protocol violation, no Session RPC): nothing of it
 * was applied, and sending it again would be refused again.
 */
export class SouthboundRefusedError extends TransactionError {
  constructor(readonly code: grpc.status, cause: unknown) {
    super({ initError: `the southbound refused: ${describeGrpcError(cause)}`, cause });
  }
}

/** A southbound call other than a commit failed (dump, status, watch, admin). */
export class SouthboundCallError extends ControllerError {
  constructor(readonly method: string, readonly code: grpc.status | undefined, cause: unknown) {
    super(`southbound ${method} failed: ${describeGrpcError(cause)}`, { cause });
  }
}

/** Statuses by which a southbound deliberately refuses; any other end of a session is an outage. */
const REFUSALS: ReadonlySet<grpc.status> = new Set([
  grpc.status.INVALID_ARGUMENT,
  grpc.status.RESOURCE_EXHAUSTED,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.UNAUTHENTICATED,
  grpc.status.PERMISSION_DENIED,
  grpc.status.UNIMPLEMENTED,
  grpc.status.FAILED_PRECONDITION,
  grpc.status.OUT_OF_RANGE,
]);

export function isRefusal(code: grpc.status | undefined): code is grpc.status {
  return code !== undefined && REFUSALS.has(code);
}

/** The gRPC status code of an error from grpc-js, if it has one. */
export function grpcCode(error: unknown): grpc.status | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code: unknown = (error as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

export function describeGrpcError(error: unknown): string {
  const code = grpcCode(error);
  const details = typeof error === 'object' && error !== null ? (error as { details?: unknown }).details : undefined;
  const message = typeof details === 'string' && details ? tidyGrpcText(details) : grpcMessage(error);
  return code === undefined ? message : `${message} (gRPC ${grpc.status[code] ?? code})`;
}
