import * as grpc from '@grpc/grpc-js';

/** Client-side TLS: the CA of the server's certificate, and a client certificate if required. */
export interface ClientTlsOptions {
  /** PEM of the CA that signed the server certificate (default: the system roots). */
  ca?: Buffer;
  /** PEM client certificate and key, for servers that require one. */
  cert?: Buffer;
  key?: Buffer;
  /** Expected name in the server certificate when it differs from the address host. */
  serverName?: string;
}

export interface ReconnectBackoff {
  /** First reconnect delay (default 100 ms). */
  initialMs?: number;
  /** Longest reconnect delay (default 2000 ms): a restarted southbound is found again within it. */
  maxMs?: number;
}

export function channelCredentials(tls: ClientTlsOptions | undefined): grpc.ChannelCredentials {
  if (!tls) return grpc.credentials.createInsecure();
  return grpc.credentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null);
}

/** grpc-js defaults to 1 s .. 120 s: far too slow to find a restarted local southbound. */
export const DEFAULT_RECONNECT_BACKOFF: Readonly<Required<ReconnectBackoff>> = Object.freeze({ initialMs: 100, maxMs: 2000 });

export function channelOptions(tls: ClientTlsOptions | undefined, backoff: ReconnectBackoff | undefined): grpc.ChannelOptions {
  const options: grpc.ChannelOptions = {
    'grpc.initial_reconnect_backoff_ms': backoff?.initialMs ?? DEFAULT_RECONNECT_BACKOFF.initialMs,
    'grpc.min_reconnect_backoff_ms': backoff?.initialMs ?? DEFAULT_RECONNECT_BACKOFF.initialMs,
    'grpc.max_reconnect_backoff_ms': backoff?.maxMs ?? DEFAULT_RECONNECT_BACKOFF.maxMs,
    // HTTP/2's 64 KiB window would make the answer to a big transaction (megabytes of executed
    // operations) wait for a window update every 64 KiB; 8 MiB lets it stream.
    'grpc-node.flow_control_window': 8 * 1024 * 1024,
  };
  if (tls?.serverName) options['grpc.ssl_target_name_override'] = tls.serverName;
  return options;
}

/**
 * Metadata of every call. The bearer token goes in plain metadata rather than call credentials:
 * grpc-js refuses call credentials on insecure channels, and a token over loopback is legitimate.
 */
export function callMetadata(token: string | undefined): grpc.Metadata {
  const metadata = new grpc.Metadata();
  if (token) metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

export function deadlineIn(ms: number): Date {
  return new Date(Date.now() + ms);
}
