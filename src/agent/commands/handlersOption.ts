import { resolve } from 'node:path';
import type { Root } from 'protobufjs';
import type { EventHandler } from '../../api/handler';
import { ControllerError } from '../../api/errors';
import type { ResourceRegistry } from '../../dbwatcher/registry';
import { createNetworkHandlers, networkResourceRegistry, networkTypes } from '../../../examples/network';

/** `--handlers` names a module that cannot give handlers. */
export class HandlersModuleError extends ControllerError {}

/** Handlers with what the agent needs to feed them and to render their values. */
export interface HandlerSet {
  handlers: EventHandler[];
  /** The resources and external config models the DB watcher decodes (default: built-ins). */
  registry?: ResourceRegistry;
  /** Protobuf types of the values, to render recorded transactions as JSON. */
  types?: Root;
}

/** What a handlers module may export. */
interface HandlersModule {
  createHandlers?: (options: { nodeName: string }) => EventHandler[];
  handlers?: EventHandler[];
  registry?: ResourceRegistry;
  types?: Root;
}

/**
 * The handlers of `agent --handlers <what>`: `network` (the default) is the example network
 * handlers (IPAM, pod network, service NAT); anything else is the path of a CommonJS module
 * exporting `createHandlers({ nodeName })` or `handlers` (in dependency order), and optionally
 * `registry` (a ResourceRegistry) and `types` (a protobufjs Root).
 */
export function loadHandlers(what: string, nodeName: string): HandlerSet {
  if (what === 'network') return { handlers: createNetworkHandlers({ nodeName }), registry: networkResourceRegistry(), types: networkTypes };
  const path = resolve(what);
  let module: HandlersModule;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module is named at run time.
    module = require(path) as HandlersModule;
  } catch (cause) {
    // Node appends the require stack to the message: the first line says it all.
    throw new HandlersModuleError(`cannot load handlers module ${path}: ${(cause as Error).message.split('\n')[0]}`, { cause });
  }
  const handlers = typeof module.createHandlers === 'function' ? module.createHandlers({ nodeName }) : module.handlers;
  if (!Array.isArray(handlers)) throw new HandlersModuleError(`handlers module ${path} exports neither createHandlers() nor handlers`);
  return { handlers, registry: module.registry, types: module.types };
}
