import type { FastifyInstance, FastifyReply, preHandlerAsyncHookHandler } from 'fastify';
import type { Controller } from '../../controller';
import { InvalidRequestParameterError, type ErrorBody } from '../rest/errors';
import { parseNonNegativeInteger } from '../rest/historyQuery';
import { eventDetail } from './eventDetail';
import { summarizeEvent } from './eventSummary';
import type { EventSummaryPage } from './protocol';

/** Summaries per page at most: the page asks again for more. */
export const MAX_SUMMARY_PAGE = 500;

function integerParameter(query: Record<string, unknown>, name: string, fallback: number): number {
  return query[name] === undefined ? fallback : parseNonNegativeInteger(name, query[name]);
}

/** Answers a bad parameter here: the plugin must not depend on the host server's error handler. */
function badParameter(reply: FastifyReply, error: unknown): FastifyReply {
  if (!(error instanceof InvalidRequestParameterError)) throw error;
  return reply.code(400).send({ error: error.message, parameter: error.parameter } satisfies ErrorBody);
}

/**
 * The drill-down and the backfill of the timeline: `GET /dashboard/api/events/:seqNum` (one
 * event, bounded) and `GET /dashboard/api/events?from=&to=&limit=` (summaries of a range).
 */
export function registerEventRoutes(app: FastifyInstance, controller: Controller, auth: preHandlerAsyncHookHandler[]): void {
  app.get('/dashboard/api/events/:seqNum', { preHandler: auth }, async (request, reply) => {
    let seqNum: number;
    try {
      seqNum = integerParameter(request.params as Record<string, unknown>, 'seqNum', -1);
    } catch (error) {
      return badParameter(reply, error);
    }
    const [record] = controller.eventHistory({ seqNum });
    if (!record) return reply.code(404).send({ error: `no event with sequence number ${seqNum} in the history`, parameter: 'seqNum' });
    return eventDetail(record);
  });

  app.get('/dashboard/api/events', { preHandler: auth }, async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    let from: number, to: number, limit: number;
    try {
      for (const name of Object.keys(query)) {
        if (!['from', 'to', 'limit'].includes(name)) throw new InvalidRequestParameterError(name, query[name], 'unknown parameter (expected from, to, limit)');
      }
      from = integerParameter(query, 'from', 0);
      to = integerParameter(query, 'to', Number.MAX_SAFE_INTEGER);
      limit = Math.min(integerParameter(query, 'limit', MAX_SUMMARY_PAGE), MAX_SUMMARY_PAGE);
    } catch (error) {
      return badParameter(reply, error);
    }
    const records = controller.eventHistory({ from, to });
    const page: EventSummaryPage = { events: records.slice(0, limit).map(summarizeEvent), more: records.length > limit };
    return page;
  });
}
