/**
 * The message of an error from a gRPC library (grpc-js, or etcd3 on top of it), readable:
 * grpc-js ends its "No connection established" errors with "Resolution note: " even when it has
 * no note, an empty label that reads like a cut message.
 */
export function grpcMessage(error: unknown): string {
  return tidyGrpcText(error instanceof Error ? error.message : String(error));
}

/** The same for a text of its own (e.g. a gRPC status's `details`). */
export function tidyGrpcText(text: string): string {
  return text.replace(/\.? Resolution note: ?$/, '');
}
