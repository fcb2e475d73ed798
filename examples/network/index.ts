/**
 * Example handlers with real dependencies between them, producing the vpp-agent keys Contiv-VPP
 * produced: IPAM (pod addresses), the pod network (TAP, ARP, route per pod) and the service NAT
 * (a DNAT44 per service). `contivctl demo` runs them; docs/writing-handlers.md walks through them.
 */
import type { EventHandler } from '../../src';
import { IpamHandler } from './ipamHandler';
import { PodNetworkHandler } from './podNetworkHandler';
import { ServiceNatHandler } from './serviceNatHandler';

export interface NetworkHandlersOptions {
  /** This node's name; its trailing number picks the node's pod subnet (default 'node-1'). */
  nodeName: string;
  /** The cluster's pod network (default '10.1.0.0/16'). */
  podSubnet: string;
  /** Length of each node's share of podSubnet (default 24). */
  nodeSubnetPrefix?: number;
}

export const DEFAULT_NETWORK_OPTIONS: NetworkHandlersOptions = { nodeName: 'node-1', podSubnet: '10.1.0.0/16', nodeSubnetPrefix: 24 };

/**
 * The network handlers in dependency order: IPAM, then the pod network (reads IPAM's
 * allocations), then the service NAT. Throws InvalidNetworkOptionsError for a bad address plan.
 *
 * ```ts
 * const controller = createController({ handlers: createNetworkHandlers({ nodeName: 'node-2' }), southbound, logger });
 * ```
 */
export function createNetworkHandlers(options: Partial<NetworkHandlersOptions> = {}): EventHandler[] {
  const resolved = { ...DEFAULT_NETWORK_OPTIONS, ...options };
  const ipam = new IpamHandler(resolved);
  return [ipam, new PodNetworkHandler(ipam), new ServiceNatHandler()];
}

export { NETWORK_DEPENDENCY_RULES } from './dependencyRules';
export { NETWORK_EXTERNAL_CONFIG_MODELS, networkResourceRegistry } from './registry';
export { IpamHandler, nodeSubnetOf, type PodAddressBook } from './ipamHandler';
export { PodNetworkHandler, POD_VRF_ID, DEFAULT_POD_MTU } from './podNetworkHandler';
export { ServiceNatHandler, NAT_MAX_MTU, staticMappings } from './serviceNatHandler';
export { PodMtuChange } from './podMtuChange';
export { networkKeys, podTapName, serviceLabel } from './keys';
export { networkTypes } from './messages';
export { InvalidNetworkOptionsError, IpamExhaustedError, MtuRefusedError, PodAddressMissingError, ScenarioError } from './errors';
