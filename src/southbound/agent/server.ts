import { createServer } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import type { ServiceDefinition } from '@grpc/proto-loader';
import pino, { type Logger } from 'pino';
import { ControllerError } from '../../api/errors';
import { DEFAULT_MAX_BATCH_BYTES } from '../grpc/batching';
import { loadSouthboundProtocol } from '../grpc/protocol';
import { decodeSessionRequest } from '../grpc/sessionRequestDecoder';
import { adminService } from './adminService';
import { bearerTokenInterceptor } from './auth';
import { raiseReceiveWindow } from './receiveWindow';
import { SchedulerEngine, type SchedulerEngineOptions } from './scheduler';
import { schedulerService, type ActiveSessions, type ActiveWatches } from './schedulerService';
import { emptySessionStats, type SessionStats } from './serverSession';

export const DEFAULT_LISTEN_ADDRESS = '127.0.0.1:9111';
/** Bytes one unfinished transaction may hold (~1,000,000 small values). */
export const DEFAULT_MAX_TXN_BYTES = 128 * 1024 * 1024;
/** Time from a transaction's first part to its last. */
export const DEFAULT_TXN_ASSEMBLY_TIMEOUT_MS = 60_000;

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
  /** Require `authorization: Bearer <token>` on every call; an empty or blank token is refused. */
  token?: string;
  /** Serve the SouthboundAdmin service (fault injection, drift). Default true. */
  admin?: boolean;
  /** Bytes per streamed message (~1 MiB). */
  maxBatchBytes?: number;
  /** Bytes one unfinished transaction may hold; beyond, RESOURCE_EXHAUSTED (default 128 MiB). */
  maxTxnBytes?: number;
  /** Time a transaction may take from its first part to its last; beyond, DEADLINE_EXCEEDED (default 60 s). */
  txnAssemblyTimeoutMs?: number;
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
  readonly stats: SessionStats = emptySessionStats();
  private readonly watches: ActiveWatches = new Set();
  private readonly sessions: ActiveSessions = new Set();
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
    const limits = sessionLimits(options);
    if (options.token !== undefined && options.token.trim() === '') {
      throw new SouthboundServerError('the bearer token is empty: give a token, or none to run without authentication');
    }
    const protocol = loadSouthboundProtocol();
    const engine = options.engine ?? new SchedulerEngine({ logger, ...options.engineOptions });
    // Messages are ~1 MiB, a value at most 3 MiB: gRPC's default 4 MiB message limit is kept on purpose.
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
      const listen = options.listen ?? DEFAULT_LISTEN_ADDRESS;
      // grpc-js only says "No address added out of total 1 resolved": ask the OS what is wrong.
      const cause = await listenError(host, portOf(listen));
      if (cause?.code === 'EADDRINUSE') throw new SouthboundServerError(`southbound port ${portOf(listen)} is in use (on ${host}); pass --listen host:port with a free port`, { cause: error });
      if (cause?.code === 'EADDRNOTAVAIL') throw new SouthboundServerError(`cannot listen on ${listen}: ${host} is not an address of this machine; pass --listen with one of its addresses`, { cause: error });
      throw new SouthboundServerError(`cannot listen on ${listen}: ${cause?.message ?? (error as Error).message}`, { cause: error });
    }
    raiseReceiveWindow(server, logger);
    const instance = new SouthboundServer(server, engine, !options.engine, host, port, logger);
    const deps = { stats: instance.stats, watches: instance.watches, sessions: instance.sessions, limits, logger, isStopping: () => instance.stopping !== undefined };
    server.addService(withSessionCodec(protocol.scheduler), schedulerService(engine, deps));
    if (options.admin ?? true) server.addService(protocol.admin, adminService(engine));
    logger.info({ address: instance.address, instanceId: engine.instanceId, tls: !!options.tls, auth: !!options.token, ...limits }, 'southbound listening');
    return instance;
  }

  /**
   * Ends the watch streams and the sessions (an unfinished transaction is dropped, the replies
   * already due are sent, then UNAVAILABLE), lets other calls finish (up to `graceMs`), then forces.
   */
  stop(graceMs = 2000): Promise<void> {
    this.stopping ??= (async () => {
      for (const endWatch of [...this.watches]) endWatch();
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          this.server.forceShutdown();
          resolve();
        }, graceMs);
        void Promise.all([...this.sessions].map((session) => session.shutdown())).then(() =>
          this.server.tryShutdown(() => {
            clearTimeout(force);
            resolve();
          }),
        );
      });
      if (this.ownsEngine) this.engine.close();
      this.logger.info({ address: this.address }, 'southbound stopped');
    })();
    return this.stopping;
  }
}

/** The server could not start. */
export class SouthboundServerError extends ControllerError {}

function sessionLimits(options: SouthboundServerOptions): { maxTxnBytes: number; txnAssemblyTimeoutMs: number; maxBatchBytes: number } {
  const limits = {
    maxTxnBytes: options.maxTxnBytes ?? DEFAULT_MAX_TXN_BYTES,
    txnAssemblyTimeoutMs: options.txnAssemblyTimeoutMs ?? DEFAULT_TXN_ASSEMBLY_TIMEOUT_MS,
    maxBatchBytes: options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES,
  };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) throw new SouthboundServerError(`${name} must be a positive integer (got ${value})`);
  }
  return limits;
}

/** The Session RPC with the codec of the hot path instead of proto-loader's: answers are encoded already. */
function withSessionCodec(scheduler: ServiceDefinition): grpc.ServiceDefinition {
  const session = scheduler.Session;
  if (!session) throw new SouthboundServerError('the southbound protocol has no Session method');
  return { ...scheduler, Session: { ...session, requestDeserialize: decodeSessionRequest, responseSerialize: (answer: Buffer) => answer } } as unknown as grpc.ServiceDefinition;
}

/** Splits host:port (IPv6 hosts in brackets). */
export function parseListenAddress(listen: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(listen);
  if (!match) throw new SouthboundServerError(`invalid listen address "${listen}" (expected host:port)`);
  return { host: match[1] ?? match[2] ?? '', port: Number(match[3]) };
}

function portOf(listen: string): number {
  return Number(listen.slice(listen.lastIndexOf(':') + 1));
}

/** Why the OS refuses to listen on host:port, if it does (undefined when it would accept). */
function listenError(host: string, port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => resolve(error));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(undefined)));
  });
}
