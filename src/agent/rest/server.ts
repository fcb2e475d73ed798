import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Controller } from '../../controller';
import type { DbWatcherStatusSource } from '../dbWatcherMetrics';
import type { ControllerMetrics } from '../metrics';
import { dashboardPlugin } from '../dashboard/plugin';
import type { SouthboundStateSource } from '../dashboard/valueStates';
import { RestAddressUnavailableError, RestPortInUseError, RestServerError, type ErrorBody } from './errors';
import { stringifyJson } from './json';
import { DebugRequestLog } from './requestLog';
import { registerHealthRoutes } from './routes/health';
import { registerHistoryRoute } from './routes/history';
import { registerMetricsRoute } from './routes/metrics';
import { registerResyncRoute } from './routes/resync';

export const DEFAULT_REST_HOST = '127.0.0.1';
export const DEFAULT_REST_PORT = 9191;

export interface RestServerOptions {
  controller: Controller;
  metrics: ControllerMetrics;
  /** Asks the DB watcher for a remote resync; without it `POST /controller/resync` answers 503. */
  requestResync?: () => void;
  /** The DB watcher: `/controller/state` shows its bad keys and local mirror. */
  dbWatcher?: DbWatcherStatusSource;
  /** Default 127.0.0.1: the API is for the node itself unless the operator opens it. */
  host?: string;
  /** Default 9191; 0 = any free port (see `url`). */
  port?: number;
  /** The southbound client: the dashboard (/dashboard/) shows its value states. */
  southbound?: SouthboundStateSource;
  /** Bearer token protecting the POST routes. */
  token?: string;
  logger: Logger;
}

export interface RestServer {
  /** Where it listens, e.g. `http://127.0.0.1:9191` (the actual port when started with port 0). */
  readonly url: string;
  close(): Promise<void>;
}

function checkOptions(options: RestServerOptions): { host: string; port: number } {
  const host = options.host ?? DEFAULT_REST_HOST;
  const port = options.port ?? DEFAULT_REST_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RestServerError(`invalid REST port ${JSON.stringify(port)} (expected 0-65535)`);
  // An empty token would look like protection and be none (or lock everyone out): refuse it.
  if (options.token !== undefined && options.token.trim() === '') throw new RestServerError('the REST bearer token must not be empty');
  return { host, port };
}

function buildApp(options: RestServerOptions): FastifyInstance {
  // Typed as fastify's base logger so that the routes take a plain FastifyInstance.
  const logger: FastifyBaseLogger = options.logger.child({ component: 'rest' });
  const app = Fastify({
    loggerInstance: logger,
    logController: new DebugRequestLog(),
    // Closing waits for no idle keep-alive connection (a client like Node's fetch keeps them).
    forceCloseConnections: 'idle',
  });
  app.setReplySerializer((payload) => stringifyJson(payload));
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const statusCode = error.statusCode !== undefined && error.statusCode >= 400 ? error.statusCode : 500;
    if (statusCode >= 500) request.log.error({ err: error }, 'REST request failed');
    const body: ErrorBody = { error: error.message };
    const parameter = (error as { parameter?: unknown }).parameter;
    if (typeof parameter === 'string') body.parameter = parameter;
    return reply.code(statusCode).send(body);
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: `no route ${request.method} ${request.url}` } satisfies ErrorBody));

  registerHistoryRoute(app, options.controller);
  registerResyncRoute(app, { requestResync: options.requestResync, token: options.token });
  registerHealthRoutes(app, options.controller, options.dbWatcher);
  registerMetricsRoute(app, options.metrics);
  void app.register(dashboardPlugin, { controller: options.controller, dbWatcher: options.dbWatcher, southbound: options.southbound, token: options.token, logger: options.logger });
  return app;
}

/** Why the server cannot listen, by the system error's code. */
function listenError(host: string, port: number, error: unknown): RestServerError {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'EADDRINUSE') return new RestPortInUseError(host, port, error);
  if (code === 'EADDRNOTAVAIL') return new RestAddressUnavailableError(host, error);
  return new RestServerError(`REST server cannot listen on ${host}:${port}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}

function urlOf(address: string, port: number): string {
  return `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
}

/**
 * Starts the agent's REST API (fastify, logging through the given pino logger):
 * `GET /controller/event-history`, `POST /controller/resync`, `GET /controller/state`,
 * `GET /livez`, `GET /readyz`, `GET /metrics`. See docs/rest-and-metrics.md.
 *
 * ```ts
 * const metrics = new ControllerMetrics({ controller });
 * const rest = await startRestServer({ controller, metrics, requestResync: () => watcher.requestResync(), logger });
 * console.log(`${rest.url}/controller/event-history?last=10`);
 * await rest.close();
 * ```
 */
export async function startRestServer(options: RestServerOptions): Promise<RestServer> {
  const { host, port } = checkOptions(options);
  const app = buildApp(options);
  try {
    await app.listen({ host, port });
  } catch (error) {
    await app.close().catch(() => undefined);
    throw listenError(host, port, error);
  }
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new RestServerError(`REST server has an unexpected address ${String(address)}`);
  const url = urlOf(address.address, address.port);
  let closing: Promise<void> | undefined;
  return {
    url,
    close: () => (closing ??= app.close()),
  };
}
