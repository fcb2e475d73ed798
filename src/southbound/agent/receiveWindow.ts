import type { Http2Session } from 'node:http2';
import type { EventEmitter } from 'node:events';
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';

/**
 * The HTTP/2 receive window of the southbound's connections, both per stream and per connection.
 * HTTP/2 starts every window at 64 KiB: a client streaming a big transaction (a 100,000-value
 * resync is tens of megabytes) would stop every 64 KiB until the server's WINDOW_UPDATE comes
 * back, and the server sends it only between its own work. The client's answers already stream
 * with the same size (`grpc-node.flow_control_window` on the channel).
 */
export const RECEIVE_WINDOW_BYTES = 8 * 1024 * 1024;

/**
 * Raises the receive window of every connection `server` accepts from now on, and returns how
 * many listeners it hooked (0: not possible with this grpc-js).
 *
 * grpc-js reads `grpc-node.flow_control_window` on the client only (grpc/grpc-node#3058 adds it
 * to the server), and keeps its HTTP/2 servers private: this reaches them under the name grpc-js
 * 1.14 gives them. A grpc-js without it leaves the windows as they are, with a warning: slower
 * big transactions, nothing broken. Call it after `bindAsync` has bound.
 */
export function raiseReceiveWindow(server: grpc.Server, logger: Logger, bytes: number = RECEIVE_WINDOW_BYTES): number {
  const listeners = (server as unknown as { http2Servers?: unknown }).http2Servers;
  if (!(listeners instanceof Map)) {
    logger.warn({ receiveWindowBytes: bytes }, 'cannot raise the HTTP/2 receive window with this grpc-js; big transactions will stream more slowly');
    return 0;
  }
  let hooked = 0;
  for (const listener of listeners.keys() as IterableIterator<EventEmitter>) {
    listener.on('session', (session: Http2Session) => widen(session, bytes, logger));
    hooked++;
  }
  return hooked;
}

function widen(session: Http2Session, bytes: number, logger: Logger): void {
  try {
    // The stream window is a setting the client applies to every stream; the connection's
    // window is raised at once, before the first DATA frame.
    session.settings({ initialWindowSize: bytes });
    session.setLocalWindowSize(bytes);
  } catch (error) {
    // A session closing as it opens: nothing to widen.
    logger.debug({ err: error }, 'HTTP/2 receive window not raised');
  }
}
