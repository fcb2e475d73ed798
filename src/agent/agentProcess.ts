import type { Logger } from 'pino';
import type { Root } from 'protobufjs';
import type { InspectionEvent, Observer } from 'xstate';
import type { EventHandler } from '../api/handler';
import { createController, type Controller } from '../controller';
import { openDbWatcher, type OpenedDbWatcher } from '../dbwatcher/openDbWatcher';
import type { ResourceRegistry } from '../dbwatcher/registry';
import type { KeyValueStore } from '../dbwatcher/store';
import { GrpcSouthbound } from '../southbound/grpc/client';
import type { AgentConfig } from './config';
import { createAgentLogger } from './logging';
import { ControllerMetrics } from './metrics';
import { startRestServer, type RestServer } from './rest/server';
import { loadTlsMaterial } from '../tlsFiles';

export interface StartAgentOptions {
  /** In dependency order (default: none). */
  handlers?: EventHandler[];
  /** Default: the logger `config.log` describes. */
  logger?: Logger;
  /** Resources and external config models the DB watcher decodes (default: the built-in resources). */
  registry?: ResourceRegistry;
  /** Protobuf types of the handlers' values, to render recorded transactions as JSON. */
  types?: Root;
  /** The Stately inspector's observer (see inspector.ts). */
  inspect?: Observer<InspectionEvent>;
}

export interface RunningAgent {
  controller: Controller;
  /** e.g. http://127.0.0.1:9191 */
  restUrl: string;
  /** The DB the watcher reads (etcd, or the embedded store): the demo writes its scenario here. */
  readonly store: KeyValueStore;
  readonly logger: Logger;
  /**
   * Graceful stop: a Shutdown event through the handlers (controller.close()), then the DB
   * watcher and its stores, the REST server and metrics, and the southbound client.
   */
  close(): Promise<void>;
}

/** Runs `steps` in order even when some fail; every failure is logged, the first is rethrown. */
async function runAll(logger: Logger, steps: [string, () => Promise<void> | void][]): Promise<void> {
  let first: unknown;
  for (const [what, step] of steps) {
    try {
      await step();
    } catch (error) {
      logger.error({ err: error }, `shutdown: ${what} failed`);
      first ??= error;
    }
  }
  if (first !== undefined) throw first;
}

/**
 * Starts an agent: the controller committing to the gRPC southbound, the DB watcher feeding it
 * (etcd when endpoints are configured, else standalone on the embedded store in `dataDir`), and
 * the REST API with metrics. What can fail for a reason the operator must fix (the REST port, the
 * data directory) is done before the controller starts, so such a failure stops the agent
 * without running a Shutdown event; a later failure stops what was started and rethrows.
 *
 * ```ts
 * const agent = await startAgent(loadAgentConfig({ file: 'agent.yaml' }), { handlers });
 * console.log(`${agent.restUrl}/controller/event-history`);
 * await agent.close();
 * ```
 */
export async function startAgent(config: AgentConfig, options: StartAgentOptions = {}): Promise<RunningAgent> {
  const logger = options.logger ?? createAgentLogger(config.log);
  const southboundTls = config.southbound.tls && loadTlsMaterial(config.southbound.tls);
  const etcdTls = config.etcd.tls && loadTlsMaterial(config.etcd.tls);

  const southbound = new GrpcSouthbound({
    address: config.southbound.address,
    tls: southboundTls && { ...southboundTls, serverName: config.southbound.tls?.serverName },
    token: config.southbound.token,
    types: options.types,
    logger: logger.child({ component: 'southbound-client' }),
  });
  const controller = createController({
    handlers: options.handlers ?? [],
    southbound,
    config: config.controller,
    logger,
    ...(options.inspect && { inspect: options.inspect }),
  });
  let db: OpenedDbWatcher | undefined;
  let metrics: ControllerMetrics | undefined;
  let rest: RestServer | undefined;
  const stopAll = (): Promise<void> =>
    runAll(logger, [
      // First, so the handlers see Shutdown while the southbound is still there to commit to.
      ['controller', () => controller.close()],
      ['DB watcher', () => db?.close()],
      ['REST server', () => rest?.close()],
      ['metrics', () => metrics?.close()],
      ['southbound client', () => southbound.close()],
    ]);

  try {
    db = openDbWatcher({
      eventLoop: controller,
      agentLabel: config.agentLabel,
      logger,
      dataDir: config.dataDir,
      etcdEndpoints: config.etcd.endpoints,
      etcdTls: etcdTls?.ca ? { ca: etcdTls.ca, cert: etcdTls.cert, key: etcdTls.key } : undefined,
      registry: options.registry,
      delayLocalResync: config.controller.delayLocalResync,
      remoteDBProbingInterval: config.controller.remoteDBProbingInterval,
    });
    const watcher = db.watcher;
    metrics = new ControllerMetrics({ controller, dbWatcher: watcher, processMetrics: true, logger });
    rest = await startRestServer({
      controller,
      metrics,
      requestResync: () => watcher.requestResync(),
      dbWatcher: watcher,
      southbound,
      host: config.rest.host,
      port: config.rest.port,
      token: config.rest.token,
      logger,
    });
    // Only now: a data directory in use or a taken port stopped the agent before any event ran.
    await controller.start();
    watcher.start();
  } catch (error) {
    await stopAll().catch(() => undefined);
    throw error;
  }
  const store = db.store;
  if (config.rest.insecureNoAuth && config.rest.token === undefined) {
    logger.warn({ restHost: config.rest.host }, 'REST API open without a token (--insecure-no-auth): anyone who reaches it can POST /controller/resync');
  }
  logger.info(
    { restUrl: rest.url, southbound: config.southbound.address, db: config.etcd.endpoints.length > 0 ? config.etcd.endpoints : config.dataDir, agentLabel: config.agentLabel },
    'agent started',
  );
  let closing: Promise<void> | undefined;
  return {
    controller,
    restUrl: rest.url,
    store,
    logger,
    close: () => (closing ??= stopAll().then(() => logger.info('agent stopped'))),
  };
}
