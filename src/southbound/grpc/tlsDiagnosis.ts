import { isIP } from 'node:net';
import * as tls from 'node:tls';
import type { ClientTlsOptions } from './channel';

/** Why TLS with the southbound failed. */
export type TlsFailureReason =
  | 'unknown-ca'
  | 'name-mismatch'
  | 'expired'
  | 'not-yet-valid'
  | 'client-certificate-required'
  | 'client-certificate-rejected'
  | 'handshake-failed';

export interface TlsFailure {
  reason: TlsFailureReason;
  /** For humans: what failed and what to change. */
  detail: string;
  cause: Error;
}

const UNKNOWN_CA_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
]);

const CLIENT_CERTIFICATE_ALERTS = new Set([
  'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
  'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED',
  'ERR_SSL_TLSV1_ALERT_DECRYPT_ERROR',
  'ERR_SSL_TLSV1_ALERT_ACCESS_DENIED',
]);

/** Classifies a TLS error by its OpenSSL/Node code; undefined for errors that are not about TLS (refused, reset). */
export function classifyTlsError(error: Error & { code?: string }, serverName: string): TlsFailure | undefined {
  const code = error.code ?? '';
  const failure = (reason: TlsFailureReason, detail: string): TlsFailure => ({ reason, detail: `${detail} (${code || error.message})`, cause: error });
  if (UNKNOWN_CA_CODES.has(code)) return failure('unknown-ca', "the southbound's certificate is not signed by a CA this client trusts (tls.ca)");
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return failure('name-mismatch', `the southbound's certificate is not valid for "${serverName}" (set tls.serverName to a name the certificate carries)`);
  }
  if (code === 'CERT_HAS_EXPIRED') return failure('expired', "the southbound's certificate has expired");
  if (code === 'CERT_NOT_YET_VALID') return failure('not-yet-valid', "the southbound's certificate is not valid yet");
  if (code === 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED') return failure('client-certificate-required', 'the southbound requires a client certificate (tls.cert, tls.key)');
  if (CLIENT_CERTIFICATE_ALERTS.has(code)) return failure('client-certificate-rejected', 'the southbound refused the client certificate');
  if (code.startsWith('ERR_SSL_')) return failure('handshake-failed', 'the TLS handshake failed (does the southbound speak TLS?)');
  return undefined;
}

/** The HTTP/2 client preface and an empty SETTINGS frame: a TLS 1.3 server judges our certificate after the handshake, so we wait for its first frame. */
const HTTP2_PREFACE = Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]);

/**
 * Connects to the southbound with the client's TLS settings, the way the gRPC channel does, to
 * tell why the channel cannot connect: grpc-js reports TLS failures only as "unavailable" with a
 * text. Resolves undefined when TLS is not the problem (nothing listening, no answer in time).
 */
export function diagnoseTls(address: string, options: ClientTlsOptions, timeoutMs: number): Promise<TlsFailure | undefined> {
  const { host, port } = splitAddress(address);
  const serverName = options.serverName ?? host;
  return new Promise((resolve) => {
    const socket = tls.connect({
      host,
      port,
      ca: options.ca,
      cert: options.cert,
      key: options.key,
      servername: isIP(serverName) ? undefined : serverName,
      ALPNProtocols: ['h2'],
      checkServerIdentity: (_host, certificate) => tls.checkServerIdentity(serverName, certificate),
    });
    const finish = (failure: TlsFailure | undefined): void => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.destroy();
      resolve(failure);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    socket.on('error', (error: Error) => finish(classifyTlsError(error, serverName)));
    socket.on('secureConnect', () => socket.write(HTTP2_PREFACE));
    socket.on('data', () => finish(undefined));
    socket.on('close', () => finish(undefined));
  });
}

function splitAddress(address: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(address);
  if (!match) return { host: address, port: 443 };
  return { host: match[1] ?? match[2] ?? '', port: Number(match[3]) };
}
