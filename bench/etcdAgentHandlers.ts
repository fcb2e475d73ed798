/**
 * The handlers of the agent in the `etcd` row (`contivctl agent --handlers dist/bench/etcdAgentHandlers.js`):
 * the example network handlers on a node big enough for the row's pods (the default node's /24
 * holds 253), with the example's resources and types.
 */
import type { EventHandler } from '../src/api';
import { createNetworkHandlers, networkResourceRegistry, networkTypes } from '../examples/network';
import { BIG_NODE } from './networkState';

export function createHandlers({ nodeName }: { nodeName: string }): EventHandler[] {
  return createNetworkHandlers({ ...BIG_NODE, nodeName });
}

export const registry = networkResourceRegistry();
export const types = networkTypes;
