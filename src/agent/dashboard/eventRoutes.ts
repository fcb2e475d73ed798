import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import type { Controller } from '../../controller';
import { InvalidRequestParameterError } from '../rest/errors';
import { eventDetail } from './eventDetail';
import { summarizeEvent } from './eventSummary';
import type { EventSummaryPage } from './protocol';

/** Summaries per page at most: the page asks again for more. */
export const MAX_SUMMARY_PAGE = 500;

function integerParameter(query: Record<string, unknown>, name: string, fallback: number): number {
  const raw = query[name];
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !/^\d{1,15}$/.test(raw)) throw new InvalidRequestParameterError(name, raw, 'expected a non-negative integer');
  return Number(raw);
}

/**
 * The drill-down and the backfill of the timeline: `GET /dashboard/api/events/:seqNum` (one
 * event, bounded) and `GET /dashboard/api/events?from=&to=&limit=` (summaries of a range).
 */
export function registerEventRoutes(app: FastifyInstance, controller: Controller, auth: preHandlerAsyncHookHandler[]): void {
  app.get('/dashboard/api/events/:seqNum', { preHandler: auth }, async (request, reply) => {
    const seqNum = integerParameter(request.params as Record<string, unknown>, 'seqNum', -1);
    const [record] = controller.eventHistory({ seqNum });
    if (!record) return reply.code(404).send({ error: `no event with sequence number ${seqNum} in the history`, parameter: 'seqNum' });
    return eventDetail(record);
  });

  app.get('/dashboard/api/events', { preHandler: auth }, async (request): Promise<EventSummaryPage> => {
    const query = request.query as Record<string, unknown>;
    for (const name of Object.keys(query)) {
      if (!['from', 'to', 'limit'].includes(name)) throw new InvalidRequestParameterError(name, query[name], 'unknown parameter (expected from, to, limit)');
    }
    const from = integerParameter(query, 'from', 0);
    const to = integerParameter(query, 'to', Number.MAX_SAFE_INTEGER);
    const limit = Math.min(integerParameter(query, 'limit', MAX_SUMMARY_PAGE), MAX_SUMMARY_PAGE);
    const records = controller.eventHistory({ from, to });
    return { events: records.slice(0, limit).map(summarizeEvent), more: records.length > limit };
  });
}
