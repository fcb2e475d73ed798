import type { ServerResponse } from 'node:http';
import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import type { DashboardHub } from './dashboardHub';
import { StreamOutbox, type OutboxLimits } from './streamOutbox';

export interface StreamRouteOptions {
  hub: DashboardHub;
  limits: OutboxLimits;
  auth: preHandlerAsyncHookHandler[];
  /** A comment line this often keeps proxies from closing the stream and lets the page notice a dead one. */
  heartbeatMs: number;
  /** A page that has not read for this long is disconnected (it reconnects and starts afresh). */
  stallTimeoutMs: number;
  /** Open streams at most; more get 503. */
  maxStreams: number;
}

/**
 * `GET /dashboard/api/stream`: Server-Sent Events. The page reads it with fetch() so that the
 * token travels in the Authorization header, never in the URL. Returns the open responses, which
 * the plugin ends when the server closes.
 */
export function registerStreamRoute(app: FastifyInstance, options: StreamRouteOptions): Set<ServerResponse> {
  const open = new Set<ServerResponse>();
  const { hub, limits, heartbeatMs, stallTimeoutMs } = options;

  app.get('/dashboard/api/stream', { preHandler: options.auth }, async (request, reply) => {
    if (open.size >= options.maxStreams) {
      return reply.code(503).send({ error: `too many dashboard streams open (${options.maxStreams}); close a page and retry` });
    }
    reply.hijack();
    const response = reply.raw;
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    // Sent at once: the page knows the token was accepted before the first message.
    response.flushHeaders();
    const outbox = new StreamOutbox(response, limits, { valuesSnapshot: (max) => hub.valuesSnapshot(max), valueCounts: () => hub.valueCounts() });
    open.add(response);
    const detach = hub.attach(outbox);
    request.log.debug({ streams: open.size }, 'dashboard stream opened');
    const heartbeat = setInterval(() => {
      if (outbox.stalledFor() > stallTimeoutMs) {
        request.log.warn({ stalledMs: outbox.stalledFor(), pending: outbox.pending }, 'dashboard stream closed: the page stopped reading');
        response.destroy();
      } else if (response.writableLength < limits.highWaterBytes) {
        outbox.writeNow(': ping\n\n');
      }
    }, heartbeatMs);
    response.once('close', () => {
      clearInterval(heartbeat);
      detach();
      outbox.close();
      open.delete(response);
      request.log.debug({ streams: open.size }, 'dashboard stream closed');
    });
  });
  return open;
}
