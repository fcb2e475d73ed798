import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pino, { type Logger } from 'pino';
import { parseDependencyRules } from './dependencyRules';
import { DEFAULT_LISTEN_ADDRESS, SouthboundServer, type SouthboundServerOptions } from './server';

export const SOUTHBOUND_USAGE = `Usage: contivctl southbound [options]

Runs the reference southbound agent: the KV-scheduler gRPC protocol over a simulated dataplane.

Options:
  --listen host:port      address to listen on (default ${DEFAULT_LISTEN_ADDRESS}; port 0 = any free port)
  --rules file.json       dependency rules: [{"key": "<regexp>", "dependsOn": ["<template with $1 or $<name>>"]}]
  --tls-cert file.pem     server certificate (enables TLS; needs --tls-key)
  --tls-key file.pem      server private key
  --tls-client-ca file    CA of client certificates (requires clients to present one)
  --token-file file       require "authorization: Bearer <token>" (token read from the file;
                          the SOUTHBOUND_TOKEN environment variable works too)
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
      'no-admin': { type: 'boolean' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return { help: true, logLevel: 'info' };
  if (!!values['tls-cert'] !== !!values['tls-key']) throw new Error('--tls-cert and --tls-key go together');
  const token = values['token-file'] ? readFileSync(values['token-file'], 'utf8').trim() : env.SOUTHBOUND_TOKEN || undefined;
  return {
    help: false,
    logLevel: values['log-level'] ?? 'info',
    listen: values.listen ?? DEFAULT_LISTEN_ADDRESS,
    engineOptions: values.rules ? { dependencyRules: parseDependencyRules(readFileSync(values.rules, 'utf8')) } : undefined,
    tls:
      values['tls-cert'] && values['tls-key']
        ? {
            cert: readFileSync(values['tls-cert']),
            key: readFileSync(values['tls-key']),
            clientCa: values['tls-client-ca'] ? readFileSync(values['tls-client-ca']) : undefined,
          }
        : undefined,
    token,
    admin: !values['no-admin'],
  };
}

/**
 * `<package> southbound ...`: starts the reference southbound and runs until SIGINT/SIGTERM
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
    err(`southbound: ${error instanceof Error ? error.message : String(error)}\n\n${SOUTHBOUND_USAGE}`);
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
