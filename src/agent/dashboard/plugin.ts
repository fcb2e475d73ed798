import type { FastifyPluginAsync, FastifyReply, preHandlerAsyncHookHandler } from 'fastify';
import type { Logger } from 'pino';
import type { Controller } from '../../controller';
import type { DbWatcherStatusSource } from '../dbWatcherMetrics';
import { requireBearerToken } from '../rest/bearerToken';
import { type DashboardAsset, type DashboardAssetName, DashboardAssetsError, DASHBOARD_ASSET_FILES, loadDashboardAssets } from './assets';
import { DashboardHub } from './dashboardHub';
import { registerEventRoutes } from './eventRoutes';
import { DEFAULT_OUTBOX_LIMITS, type OutboxLimits } from './streamOutbox';
import { registerStreamRoute } from './streamRoute';
import type { SouthboundStateSource } from './valueStates';

export interface DashboardOptions {
  controller: Controller;
  /** The DB watcher: its connection shows in the page. */
  dbWatcher?: DbWatcherStatusSource;
  /** The southbound client: its value states show in the page. */
  southbound?: SouthboundStateSource;
  /** The REST bearer token: with it, the page's data (stream and API) needs `Authorization: Bearer`. */
  token?: string;
  logger: Logger;
  /** Bounds of each page's stream (defaults: DEFAULT_OUTBOX_LIMITS). */
  limits?: Partial<OutboxLimits>;
  /** Where the built page is (default dist/dashboard under the package root). */
  assetsDir?: string;
  heartbeatMs?: number;
  stallTimeoutMs?: number;
  sampleIntervalMs?: number;
  maxStreams?: number;
}

/** The page itself holds no data: it may load without the token, then asks for it. */
const PAGE_HEADERS = {
  'cache-control': 'no-cache',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  // Everything comes from the agent itself: nothing from elsewhere can load or be reached.
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
};

/**
 * The live web dashboard, served by the agent's REST server under `/dashboard/`: the page, its
 * stream (`/dashboard/api/stream`) and its API (`/dashboard/api/events`). See docs/dashboard.md.
 *
 * ```ts
 * app.register(dashboardPlugin, { controller, dbWatcher, southbound, token, logger });
 * ```
 */
export const dashboardPlugin: FastifyPluginAsync<DashboardOptions> = async (app, options) => {
  const logger = options.logger.child({ component: 'dashboard' });
  const limits: OutboxLimits = { ...DEFAULT_OUTBOX_LIMITS, ...options.limits };
  const auth: preHandlerAsyncHookHandler[] = options.token === undefined ? [] : [requireBearerToken(options.token)];
  let assets: Map<DashboardAssetName, DashboardAsset> | DashboardAssetsError;
  try {
    assets = loadDashboardAssets(options.assetsDir);
  } catch (error) {
    // The API still starts: the REST routes must not depend on a built page.
    if (!(error instanceof DashboardAssetsError)) throw error;
    logger.error({ err: error }, 'dashboard page unavailable');
    assets = error;
  }

  const sendAsset = (reply: FastifyReply, name: DashboardAssetName) => {
    if (assets instanceof DashboardAssetsError) return reply.code(503).send({ error: assets.message });
    const asset = assets.get(name) as DashboardAsset;
    return reply.headers(PAGE_HEADERS).type(asset.contentType).send(asset.body);
  };

  app.get('/dashboard', async (_request, reply) => reply.redirect('/dashboard/'));
  app.get('/dashboard/', async (_request, reply) => sendAsset(reply, 'index.html'));
  app.get('/dashboard/assets/:file', async (request, reply) => {
    const { file } = request.params as { file: string };
    if (!Object.hasOwn(DASHBOARD_ASSET_FILES, file) || file === 'index.html') return reply.code(404).send({ error: `no dashboard asset ${file}` });
    return sendAsset(reply, file as DashboardAssetName);
  });

  const hub = new DashboardHub({
    controller: options.controller,
    dbWatcher: options.dbWatcher,
    southbound: options.southbound,
    logger,
    limits,
    sampleIntervalMs: options.sampleIntervalMs ?? 250,
  });
  registerEventRoutes(app, options.controller, auth);
  const streams = registerStreamRoute(app, {
    hub,
    limits,
    auth,
    heartbeatMs: options.heartbeatMs ?? 15_000,
    stallTimeoutMs: options.stallTimeoutMs ?? 60_000,
    maxStreams: options.maxStreams ?? 32,
  });

  // Streams never end by themselves: the server's close would wait for them forever.
  app.addHook('preClose', async () => {
    for (const response of streams) response.end();
    await hub.close();
  });
};
