import type { ConfigRetriever, EventHandler } from '../../src';
import { NamespaceVrfHandler } from './namespaceVrfHandler';
import { PodInterfaceHandler } from './podInterfaceHandler';
import { RouteHandler } from './routeHandler';

export { NamespaceVrfHandler, PodInterfaceHandler, RouteHandler };

/** The example handlers in dependency order: each one reads what the previous ones put. */
export function exampleHandlers(config: ConfigRetriever): EventHandler[] {
  return [new NamespaceVrfHandler(), new PodInterfaceHandler(config), new RouteHandler(config)];
}
