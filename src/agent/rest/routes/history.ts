import type { FastifyInstance } from 'fastify';
import type { Controller } from '../../../controller';
import { parseHistoryQuery } from '../historyQuery';

/**
 * `GET /controller/event-history`: the original's endpoint. Parameters by precedence: `seq-num`,
 * `since`/`until` (Unix seconds), `from`/`to` (sequence numbers, inclusive), `first`, `last`;
 * none = every record. The reply is a JSON array of event records, oldest first.
 */
export function registerHistoryRoute(app: FastifyInstance, controller: Controller): void {
  app.get('/controller/event-history', async (request, reply) => {
    const query = parseHistoryQuery(request.query as Record<string, unknown>);
    const records = controller.eventHistory(query);
    if (query.seqNum !== undefined && records.length === 0) {
      return reply.code(404).send({ error: `no event with sequence number ${query.seqNum} in the history`, parameter: 'seq-num' });
    }
    return records;
  });
}
