import { ResourceRegistry } from '../../src/dbwatcher/registry';
import { DNAT44_PREFIX, INTERFACE_PREFIX, ROUTE_PREFIX } from './keys';
import { DNat44Type, InterfaceType, RouteType } from './messages';

/**
 * The external config models of the network example: which message a value under the agent
 * prefix (`/vnf-agent/<agent-label>/<key>`) is. The DB watcher skips external keys without a
 * model, and the writer refuses them, so both must be given this registry.
 */
export const NETWORK_EXTERNAL_CONFIG_MODELS = [
  { keyPrefix: INTERFACE_PREFIX, type: InterfaceType },
  { keyPrefix: ROUTE_PREFIX, type: RouteType },
  { keyPrefix: DNAT44_PREFIX, type: DNat44Type },
] as const;

/** The built-in kube resources plus the network example's external config models. */
export function networkResourceRegistry(registry: ResourceRegistry = ResourceRegistry.withBuiltins()): ResourceRegistry {
  for (const model of NETWORK_EXTERNAL_CONFIG_MODELS) registry.registerExternalConfig(model);
  return registry;
}
