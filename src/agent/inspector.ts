import type { Logger } from 'pino';
import type { InspectionEvent, Observer } from 'xstate';
import { InspectorError } from './inspectorError';
import { startInspectorRelay, type InspectorRelay } from './inspectorRelay';

export { InspectorError };

/**
 * `--inspect`: the running controller's actors, shown in the Stately inspector.
 *
 * @statelyai/inspect is ESM-only and this package is CommonJS, where TypeScript turns `import()`
 * into `require()` (which cannot load ESM on Node 20). So it is loaded with a real dynamic
 * import, lazily: an agent started without `--inspect` never loads it.
 */

type InspectModule = typeof import('@statelyai/inspect');

// eslint-disable-next-line @typescript-eslint/no-implied-eval -- a native import() that TypeScript leaves alone.
const importEsm = new Function('specifier', 'return import(specifier)') as <T>(specifier: string) => Promise<T>;

export const DEFAULT_INSPECTOR_PORT = 8080;

export interface InspectorOptions {
  /**
   * Start the local relay (HTTP page + WebSocket, on 127.0.0.1) on this port. The browser page
   * it serves embeds the Stately inspector and receives the events through it.
   */
  relayPort?: number;
  /** Instead of a relay of our own: send the events to this WebSocket (e.g. `ws://127.0.0.1:8080`). */
  url?: string;
  logger: Logger;
}

export interface RunningInspector {
  /** For createController's `inspect`. */
  readonly inspect: Observer<InspectionEvent>;
  /** The WebSocket the events go to. */
  readonly url: string;
  /** The page to open in a browser (when the relay is ours). */
  readonly pageUrl?: string;
  close(): Promise<void>;
}

/**
 * Connects an XState `inspect` observer to the Stately inspector over a local WebSocket.
 *
 * ```ts
 * const inspector = await startInspector({ relayPort: 8080, logger });
 * const controller = createController({ handlers, southbound, inspect: inspector.inspect });
 * console.log(`open ${inspector.pageUrl}`);
 * // ...
 * await inspector.close();
 * ```
 */
export async function startInspector(options: InspectorOptions): Promise<RunningInspector> {
  if ((options.relayPort === undefined) === (options.url === undefined)) throw new InspectorError('give either a relay port or a WebSocket url');
  let relay: InspectorRelay | undefined;
  let url = options.url ?? '';
  let pageUrl: string | undefined;
  let inspectModule: InspectModule;
  try {
    inspectModule = await importEsm<InspectModule>('@statelyai/inspect');
  } catch (cause) {
    throw new InspectorError(`cannot load @statelyai/inspect: ${(cause as Error).message}`, { cause });
  }
  if (options.relayPort !== undefined) {
    relay = await startInspectorRelay(options.relayPort);
    url = `ws://127.0.0.1:${relay.port}`;
    pageUrl = `http://localhost:${relay.port}`;
  }
  const inspector = inspectModule.createWebSocketInspector({ url });
  options.logger.info({ url, pageUrl }, 'Stately inspector: sending inspection events');
  let closed = false;
  return {
    inspect: inspector.inspect,
    url,
    pageUrl,
    async close() {
      if (closed) return;
      closed = true;
      inspector.stop();
      await relay?.stop();
    },
  };
}
