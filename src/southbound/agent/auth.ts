import { timingSafeEqual } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';

/** The metadata key carrying `Bearer <token>` (lower case: gRPC metadata keys are). */
export const AUTHORIZATION_METADATA_KEY = 'authorization';

/**
 * A server interceptor refusing every call without `authorization: Bearer <token>`: one check
 * for all methods, before any handler (or commit batch) runs.
 */
export function bearerTokenInterceptor(token: string): grpc.ServerInterceptor {
  const expected = Buffer.from(`Bearer ${token}`);
  return (_method, call) => {
    const intercepting: grpc.ServerInterceptingCall = new grpc.ServerInterceptingCall(call, {
      start: (next) => {
        next({
          onReceiveMetadata: (metadata, forward) => {
            if (!tokenMatches(metadata.get(AUTHORIZATION_METADATA_KEY)[0], expected)) {
              intercepting.sendStatus({ code: grpc.status.UNAUTHENTICATED, details: 'missing or invalid bearer token' });
              return;
            }
            forward(metadata);
          },
        });
      },
    });
    return intercepting;
  };
}

function tokenMatches(presented: grpc.MetadataValue | undefined, expected: Buffer): boolean {
  if (typeof presented !== 'string') return false;
  const actual = Buffer.from(presented);
  // timingSafeEqual needs equal lengths; the length itself is not a secret worth hiding.
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
