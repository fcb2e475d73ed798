import * as grpc from '@grpc/grpc-js';
import pino, { type Logger } from 'pino';
import { ControllerError } from '../../api/errors';
import { DEFAULT_MAX_BATCH_BYTES } from '../grpc/batching';
import { loadSouthboundProtocol } from '../grpc/protocol';
import { adminService } from './adminService';
import { bearerTokenInterceptor } from './auth';
import type { CommitStreamStats } from './commitHandler';
import { SchedulerEngine, type SchedulerEngineOptions } from './scheduler';
import { schedulerService, type ActiveWatches } from './schedulerService';

export const DEFAULT_LISTEN_ADDRESS = '127.0.0.1:9111';

/** Server-side TLS: the server's certificate, and a CA to require client certificates. */
export interface ServerTlsOptions {
  cert: Buffer;
  key: Buffer;
  /** When set, clients must present a certificate signed by this CA. */
  clientCa?: Buffer;
}

export interface SouthboundServerOptions {
  /** host:port; port 0 picks a free port (read it from `port`). Default 127.0.0.1:9111. */
  listen?: string;
  /** The engine to serve; by default the server creates one (and closes it on stop). */
  engine?: SchedulerEngine;
  /** Options of the engine the server creates. */
  engineOptions?: SchedulerEngineOptions;
  tls?: ServerTlsOptions;
  /** Require `authorization: Bearer <token>` on every call. */
  token?: string;
  /** Serve the SouthboundAdmin service (fault injection, drift). Default true. */
  admin?: boolean;
  /** Bytes per streamed message (~1 MiB). */
  maxBatchBytes?: number;
  logger?: Logger;
}

/**
 * The reference southbound agent: the KVScheduler protocol over gRPC around a SchedulerEngine.
 *
 * ```ts
 * const server = await SouthboundServer.start({ listen: '127.0.0.1:0', engineOptions: { dependencyRules } });
 * const client = new GrpcSouthbound({ address: server.address });
 * await server.stop();
 * ```
 */
export class SouthboundServer {
  readonly stats: CommitStreamStats = { batchesReceived: 0, commitsApplied: 0, streamsAborted: 0 };
  private readonly watches: ActiveWatches = new Set();
  private stopping: Promise<void> | undefined;

  private constructor(
    private readonly server: grpc.Server,
    readonly engine: SchedulerEngine,
    private readonly ownsEngine: boolean,
    readonly host: string,
    readonly port: number,
    private readonly logger: Logger,
  ) {}

  /** host:port the server listens on, with the actual port. */
  get address(): string {
    return `${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
  }

  static async start(options: SouthboundServerOptions = {}): Promise<SouthboundServer> {
    const logger = options.logger ?? pino({ level: 'silent' });
    const { host } = parseListenAddress(options.listen ?? DEFAULT_LISTEN_ADDRESS);
    const protocol = loadSouthboundProtocol();
    const engine = options.engine ?? new SchedulerEngine({ logger, ...options.engineOptions });
    // Batches are ~1 MiB: gRPC's default 4 MiB message limit is kept on purpose.
    const server = new grpc.Server({ interceptors: options.token ? [bearerTokenInterceptor(options.token)] : [] });
    const credentials = options.tls
      ? grpc.ServerCredentials.createSsl(
          options.tls.clientCa ?? null,
          [{ cert_chain: options.tls.cert, private_key: options.tls.key }],
          options.tls.clientCa !== undefined,
        )
      : grpc.ServerCredentials.createInsecure();
    let port: number;
    try {
      port = await new Promise<number>((resolve, reject) => {
        server.bindAsync(options.listen ?? DEFAULT_LISTEN_ADDRESS, credentials, (error, bound) => (error ? reject(error) : resolve(bound)));
      });
    } catch (error) {
      if (!options.engine) engine.close();
      server.forceShutdown();
      throw new SouthboundServerError(`cannot listen on ${options.listen ?? DEFAULT_LISTEN_ADDRESS}`, { cause: error });
    }
    const instance = new SouthboundServer(server, engine, !options.engine, host, port, logger);
    const maxBatchBytes = options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
    server.addService(protocol.scheduler, schedulerService(engine, { stats: instance.stats, watches: instance.watches, maxBatchBytes, logger }));
    if (options.admin ?? true) server.addService(protocol.admin, adminService(engine));
    logger.info({ address: instance.address, instanceId: engine.instanceId, tls: !!options.tls, auth: !!options.token }, 'southbound listening');
    return instance;
  }

  /** Ends the watch streams, lets calls in flight finish (up to `graceMs`), then forces. */
  stop(graceMs = 2000): Promise<void> {
    this.stopping ??= (async () => {
      for (const endWatch of [...this.watches]) endWatch();
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          this.server.forceShutdown();
          resolve();
        }, graceMs);
        this.server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      if (this.ownsEngine) this.engine.close();
      this.logger.info({ address: this.address }, 'southbound stopped');
    })();
    return this.stopping;
  }
}

/** The server could not start. */
export class SouthboundServerError extends ControllerError {}

/** Splits host:port (IPv6 hosts in brackets). */
export function parseListenAddress(listen: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(listen);
  if (!match) throw new SouthboundServerError(`invalid listen address "${listen}" (expected host:port)`);
  return { host: match[1] ?? match[2] ?? '', port: Number(match[3]) };
}
