import * as grpc from '@grpc/grpc-js';
import { ControllerError, SouthboundUnavailableError } from '../../api/errors';

/**
 * The southbound could not be reached (down, restarting, wrong address): the transaction never
 * started. The controller heals once the southbound is back.
 */
export class SouthboundUnreachableError extends SouthboundUnavailableError {
  constructor(readonly address: string, cause: unknown) {
    super(`southbound at ${address} is unreachable: ${describeGrpcError(cause)}`, { cause });
  }
}

/** A southbound call other than a commit failed (dump, status, watch, admin). */
export class SouthboundCallError extends ControllerError {
  constructor(readonly method: string, readonly code: grpc.status | undefined, cause: unknown) {
    super(`southbound ${method} failed: ${describeGrpcError(cause)}`, { cause });
  }
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
  const message = typeof details === 'string' && details ? details : error instanceof Error ? error.message : String(error);
  return code === undefined ? message : `${message} (gRPC ${grpc.status[code] ?? code})`;
}
