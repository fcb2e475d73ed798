import type { ParseArgsConfig } from 'node:util';
import type { Logger } from 'pino';
import { DEFAULT_INSPECTOR_PORT, startInspector, type RunningInspector } from '../inspector';
import { errorMessage, stringFlag, type CommandIo, type FlagValues } from './io';

type ParseArgsOptions = NonNullable<ParseArgsConfig['options']>;

export function inspectorFlagOptions(): ParseArgsOptions {
  return { inspect: { type: 'boolean' }, 'inspect-port': { type: 'string' }, 'inspect-url': { type: 'string' } };
}

export function inspectorHelp(): string {
  return [
    `  --inspect                        send the controller's actors to the Stately inspector through`,
    `                                   a local relay on --inspect-port [${DEFAULT_INSPECTOR_PORT}]; open http://localhost:<port>`,
    `  --inspect-url <ws://host:port>   send them to this WebSocket relay instead (implies --inspect)`,
  ].join('\n');
}

/**
 * The inspector the flags ask for: undefined when none, 'failed' after printing why (a taken
 * port, a bad URL), so the command exits instead of running uninspected by surprise.
 */
export async function startInspectorFromFlags(
  values: FlagValues,
  logger: Logger,
  io: CommandIo,
): Promise<RunningInspector | undefined | 'failed'> {
  const url = stringFlag(values, 'inspect-url');
  const portText = stringFlag(values, 'inspect-port');
  if (values.inspect !== true && url === undefined && portText === undefined) return undefined;
  try {
    if (url !== undefined) {
      if (!/^wss?:\/\/[^/]+/.test(url)) throw new Error(`--inspect-url must be a ws:// or wss:// URL, got ${JSON.stringify(url)}`);
      return await startInspector({ url, logger });
    }
    const port = portText === undefined ? DEFAULT_INSPECTOR_PORT : Number(portText);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`--inspect-port must be a port 1-65535, got ${JSON.stringify(portText)}`);
    const inspector = await startInspector({ relayPort: port, logger });
    io.err(`Stately inspector: open ${inspector.pageUrl} in a browser (see docs/operations.md)\n`);
    return inspector;
  } catch (error) {
    io.err(`inspector: ${errorMessage(error)}\n`);
    return 'failed';
  }
}
