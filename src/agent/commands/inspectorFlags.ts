import { Option, type Command } from 'commander';
import type { Logger } from 'pino';
import { DEFAULT_INSPECTOR_PORT, startInspector, type RunningInspector } from '../inspector';
import { errorMessage, stringOption, type CommandIo, type OptionValues } from './io';

/** `--inspect`, `--inspect-port`, `--inspect-url`: the Stately inspector (agent and demo). */
export function addInspectorOptions(command: Command): Command {
  return command
    .addOption(new Option('--inspect', `send the controller's actors to the Stately inspector through a local relay; open http://localhost:<port>`))
    .addOption(new Option('--inspect-port <port>', `port of the local relay (implies --inspect) [default ${DEFAULT_INSPECTOR_PORT}]`))
    .addOption(new Option('--inspect-url <ws://host:port>', 'send them to this WebSocket relay instead (implies --inspect)'));
}

/**
 * The inspector the options ask for: undefined when none, 'failed' after printing why (a taken
 * port, a bad URL), so the command exits instead of running uninspected by surprise.
 */
export async function startInspectorFromOptions(values: OptionValues, logger: Logger, io: CommandIo): Promise<RunningInspector | undefined | 'failed'> {
  const url = stringOption(values, 'inspectUrl');
  const portText = stringOption(values, 'inspectPort');
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
