import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pino, { type Logger } from 'pino';
import { loadTlsMaterial, TlsFileError } from '../../tlsFiles';
import { parseDependencyRules } from './dependencyRules';
import { DEFAULT_MAX_RECORDED_TXNS } from './scheduler';
import { DEFAULT_LISTEN_ADDRESS, DEFAULT_MAX_TXN_BYTES, DEFAULT_TXN_ASSEMBLY_TIMEOUT_MS, SouthboundServer, SouthboundServerError, type SouthboundServerOptions } from './server';

export const SOUTHBOUND_USAGE = `Usage: contivctl southbound [options]

Runs the reference southbound agent: the KV-scheduler gRPC protocol over a simulated dataplane.

Options:
  --listen host:port      address to listen on (default ${DEFAULT_LISTEN_ADDRESS}; port 0 = any free port)
  --rules file.json       dependency rules: [{"key": "<regexp>", "dependsOn": ["<template with $1 or $<name>>"]}]
  --tls-cert file.pem     server certificate (enables TLS; needs --tls-key)
  --tls-key file.pem      server private key
  --tls-client-ca file    CA of client certificates (requires clients to present one)
  --token-file file       require "authorization: Bearer <token>" (token read from the file;
                          the CONTIVCTL_SOUTHBOUND_TOKEN environment variable works too, the
                          agent's variable for the same token); an empty or blank token is refused
  --max-txn-bytes n       bytes one unfinished transaction may hold (default ${DEFAULT_MAX_TXN_BYTES});
                          beyond, its session ends with RESOURCE_EXHAUSTED
  --txn-assembly-timeout-ms n
                          time from a transaction's first part to its last (default
                          ${DEFAULT_TXN_ASSEMBLY_TIMEOUT_MS}); beyond, DEADLINE_EXCEEDED
  --max-recorded-txns n   recorded transactions kept, the oldest go first (default ${DEFAULT_MAX_RECORDED_TXNS})
  --no-admin              do not serve the SouthboundAdmin service (fault injection, drift)
  --log-level level       pino level (default info)
  -h, --help              show this help
`;

/** Options the command line parsed into; exported for tests. */
export function parseSouthboundArgs(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): SouthboundServerOptions & { help: boolean; logLevel: string } {
  const { values } = parseArgs({
    args: argv,
    options: {
      listen: { type: 'string' },
      rules: { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'tls-client-ca': { type: 'string' },
      'token-file': { type: 'string' },
      'max-txn-bytes': { type: 'string' },
      'txn-assembly-timeout-ms': { type: 'string' },
      'max-recorded-txns': { type: 'string' },
      'no-admin': { type: 'boolean' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return { help: true, logLevel: 'info' };
  if (!!values['tls-cert'] !== !!values['tls-key']) throw new SouthboundServerError('--tls-cert and --tls-key go together');
  const maxRecordedTxns = positiveInteger('--max-recorded-txns', values['max-recorded-txns']);
  return {
    help: false,
    logLevel: values['log-level'] ?? 'info',
    listen: values.listen ?? DEFAULT_LISTEN_ADDRESS,
    engineOptions: {
      ...(values.rules && { dependencyRules: parseDependencyRules(readFileSync(values.rules, 'utf8')) }),
      ...(maxRecordedTxns !== undefined && { maxRecordedTxns }),
    },
    maxTxnBytes: positiveInteger('--max-txn-bytes', values['max-txn-bytes']),
    txnAssemblyTimeoutMs: positiveInteger('--txn-assembly-timeout-ms', values['txn-assembly-timeout-ms']),
    tls: values['tls-cert'] && values['tls-key'] ? serverTls(values['tls-cert'], values['tls-key'], values['tls-client-ca']) : undefined,
    token: tokenOf(values['token-file'], env),
    admin: !values['no-admin'],
  };
}

/** The variable of the bearer token: the agent's name for the same secret, so one name serves both ends. */
export const TOKEN_VARIABLE = 'CONTIVCTL_SOUTHBOUND_TOKEN';
/** The name earlier versions read: refused, so that a token never comes from a name the documentation does not give. */
const OLD_TOKEN_VARIABLE = 'SOUTHBOUND_TOKEN';

/**
 * The bearer token from the file (trimmed) or CONTIVCTL_SOUTHBOUND_TOKEN. A file or variable that
 * holds no token is refused: starting without authentication because a secret went missing
 * would be the worst way to fail.
 */
function tokenOf(file: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (env[OLD_TOKEN_VARIABLE] !== undefined && env[OLD_TOKEN_VARIABLE] !== env[TOKEN_VARIABLE]) {
    throw new SouthboundServerError(`${OLD_TOKEN_VARIABLE} is not read: set ${TOKEN_VARIABLE} (the agent's variable for the same token) or use --token-file`);
  }
  if (file) {
    const token = readFileSync(file, 'utf8').trim();
    if (token === '') throw new SouthboundServerError(`--token-file ${file} is empty: it must hold the bearer token`);
    return token;
  }
  const fromEnv = env[TOKEN_VARIABLE];
  if (fromEnv === undefined || fromEnv === '') return undefined;
  if (fromEnv.trim() === '') throw new SouthboundServerError(`${TOKEN_VARIABLE} holds only whitespace: set the bearer token, or unset it`);
  return fromEnv.trim();
}

/** The server's PEM files, checked before anything listens: a garbage file names itself and why. */
function serverTls(certFile: string, keyFile: string, clientCaFile: string | undefined): NonNullable<SouthboundServerOptions['tls']> {
  try {
    const { cert, key, ca } = loadTlsMaterial({ cert: certFile, key: keyFile, ...(clientCaFile !== undefined && { ca: clientCaFile }) });
    return { cert: cert as Buffer, key: key as Buffer, clientCa: ca };
  } catch (error) {
    if (!(error instanceof TlsFileError)) throw error;
    const flag = { ca: '--tls-client-ca', cert: '--tls-cert', key: '--tls-key' }[error.field];
    throw new SouthboundServerError(`${flag}: ${error.message}`, { cause: error });
  }
}

function positiveInteger(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value <= 0) throw new SouthboundServerError(`${flag} must be a positive integer (got "${text}")`);
  return value;
}

/**
 * `contivctl southbound ...`: starts the reference southbound and runs until SIGINT/SIGTERM
 * (or `signal` aborts, for tests). Resolves with the exit code: 0 after a clean stop, 2 for a
 * usage error, 1 when the server cannot start.
 */
export async function runSouthboundCommand(
  argv: string[],
  io: { out?: (text: string) => void; err?: (text: string) => void; signal?: AbortSignal; logger?: Logger } = {},
): Promise<number> {
  const out = io.out ?? ((text: string) => process.stdout.write(text));
  const err = io.err ?? ((text: string) => process.stderr.write(text));
  let options: ReturnType<typeof parseSouthboundArgs>;
  try {
    options = parseSouthboundArgs(argv);
  } catch (error) {
    // The usage helps with a flag it did not understand, not with a setting it refused.
    const usage = (error as { code?: unknown }).code?.toString().startsWith('ERR_PARSE_ARGS') ? `\n${SOUTHBOUND_USAGE}` : '';
    err(`southbound: ${error instanceof Error ? error.message : String(error)}\n${usage}`);
    return 2;
  }
  if (options.help) {
    out(SOUTHBOUND_USAGE);
    return 0;
  }
  const logger = io.logger ?? pino({ level: options.logLevel, name: 'southbound' });
  let server: SouthboundServer;
  try {
    server = await SouthboundServer.start({ ...options, logger });
  } catch (error) {
    err(`southbound: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  out(`southbound listening on ${server.address} (instance ${server.engine.instanceId})\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      io.signal?.removeEventListener('abort', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    if (io.signal?.aborted) stop();
    else io.signal?.addEventListener('abort', stop);
  });
  await server.stop();
  return 0;
}
