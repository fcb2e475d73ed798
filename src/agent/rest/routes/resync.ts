import type { FastifyInstance } from 'fastify';
import { requireBearerToken } from '../bearerToken';

/**
 * `POST /controller/resync`: asks the DB watcher for a resync from the remote DB. Answers 202 at
 * once: the resync is an event like any other, it shows up in the history when processed.
 */
export function registerResyncRoute(app: FastifyInstance, options: { requestResync?: () => void; token?: string }): void {
  const { requestResync, token } = options;
  app.post('/controller/resync', { ...(token !== undefined && { onRequest: requireBearerToken(token) }) }, async (request, reply) => {
    if (!requestResync) {
      return reply.code(503).send({ error: 'resync is not available: no DB watcher is connected to this REST server' });
    }
    requestResync();
    request.log.info('resync requested over REST');
    return reply.code(202).send({ status: 'resync requested' });
  });
}
