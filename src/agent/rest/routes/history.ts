import type { FastifyInstance } from 'fastify';
import type { Controller } from '../../../controller';
import { parseHistoryRequest, type HistoryRequest } from '../historyQuery';
import { jsonArrayStream } from '../jsonStream';
import { recordJson } from '../recordJson';

/** The query string of the next page: the request's own parameters, with the page's cursor. */
function nextPageQuery(raw: Readonly<Record<string, unknown>>, request: HistoryRequest, after: number, end: number): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(raw)) if (name !== 'cursor' && typeof value === 'string') params.set(name, value);
  params.set('limit', String(request.limit));
  params.set('cursor', `${after}.${end}`);
  return params.toString();
}

/**
 * `GET /controller/event-history`: the original's endpoint, paginated. Parameters by precedence:
 * `seq-num`, `since`/`until` (Unix seconds), `from`/`to` (sequence numbers, inclusive), `first`,
 * `last`; none = every record. The reply is a JSON array of event records, oldest first, at most
 * `limit` of them (default 100, at most 1000); when the selection holds more, a
 * `Link: <...>; rel="next"` header names the next page (the same parameters and a `cursor`).
 */
export function registerHistoryRoute(app: FastifyInstance, controller: Controller): void {
  app.get('/controller/event-history', async (request, reply) => {
    const raw = request.query as Record<string, unknown>;
    const page = parseHistoryRequest(raw);
    const selection = page.cursor ? controller.eventHistory({ from: page.cursor.after + 1, to: page.cursor.end }) : controller.eventHistory(page.query);
    if (!page.cursor && page.query.seqNum !== undefined && selection.length === 0) {
      return reply.code(404).send({ error: `no event with sequence number ${page.query.seqNum} in the history`, parameter: 'seq-num' });
    }
    const records = selection.length > page.limit ? selection.slice(0, page.limit) : selection;
    if (selection.length > page.limit) {
      const end = page.cursor?.end ?? selection[selection.length - 1].seqNum;
      const after = records[records.length - 1].seqNum;
      reply.header('link', `</controller/event-history?${nextPageQuery(raw, page, after, end)}>; rel="next"`);
    }
    return reply.type('application/json; charset=utf-8').send(jsonArrayStream(records, recordJson));
  });
}
