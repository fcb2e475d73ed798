import type { KubeStateData, ProtoMessage } from '../src/api';
import { ResourceRegistry } from '../src/dbwatcher/registry';
import { createNetworkHandlers, type NetworkHandlersOptions } from '../examples/network';
import type { EventHandler } from '../src/api';

/**
 * A cluster for the resync rows: `pods` pods spread over `pods / 100` namespaces, and `pods / 10`
 * services, each with the endpoints of its 10 pods, as the DB watcher would hand them over in a
 * DBResync (built-in kube messages, src/dbwatcher/proto).
 */

/** A node big enough for 100,000 pods: its share of 10.0.0.0/8 is a /14 (10.4.0.0/14 for node-1). */
export const BIG_NODE: NetworkHandlersOptions = { nodeName: 'node-1', podSubnet: '10.0.0.0/8', nodeSubnetPrefix: 14 };
/** The first pod address of BIG_NODE: its network + 2 (the gateway is + 1). */
const FIRST_POD_ADDRESS = (10 << 24) | (4 << 16);

export function bigNodeHandlers(): EventHandler[] {
  return createNetworkHandlers(BIG_NODE);
}

const registry = ResourceRegistry.withBuiltins();

function ipv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export interface ClusterShape {
  pods: number;
  namespaces: number;
  services: number;
}

export function clusterShape(pods: number): ClusterShape {
  return { pods, namespaces: Math.max(1, Math.round(pods / 100)), services: Math.max(1, Math.round(pods / 10)) };
}

/**
 * The kube state. Pods carry an address of the node's subnet (how allocations survive an agent
 * restart: IPAM keeps them), so the endpoints can name them; pod i belongs to service i mod services,
 * in namespace i mod namespaces (services divide evenly into namespaces, so a service's pods share its namespace).
 */
export function clusterState({ pods, namespaces, services }: ClusterShape): KubeStateData {
  const pod = registry.get('pod').type;
  const service = registry.get('service').type;
  const endpoints = registry.get('endpoints').type;
  const podValues = new Map<string, ProtoMessage | null>();
  const members: string[][] = Array.from({ length: services }, () => []);
  for (let i = 0; i < pods; i++) {
    const name = `pod-${i}`;
    const namespace = `ns-${i % namespaces}`;
    const ipAddress = ipv4(FIRST_POD_ADDRESS + 2 + i);
    podValues.set(registry.keyOf('pod', name, namespace), pod.fromObject({ name, namespace, ipAddress }));
    members[i % services].push(ipAddress);
  }
  const serviceValues = new Map<string, ProtoMessage | null>();
  const endpointValues = new Map<string, ProtoMessage | null>();
  for (let j = 0; j < services; j++) {
    const name = `svc-${j}`;
    const namespace = `ns-${j % namespaces}`;
    const clusterIp = ipv4((10 << 24) | (96 << 16) | (j + 1));
    serviceValues.set(registry.keyOf('service', name, namespace), service.fromObject({ name, namespace, clusterIp, port: [{ name: 'http', protocol: 'TCP', port: 80 }] }));
    endpointValues.set(
      registry.keyOf('endpoints', name, namespace),
      endpoints.fromObject({
        name,
        namespace,
        endpointSubsets: [{ addresses: members[j].map((ip) => ({ ip, nodeName: 'node-1' })), ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }],
      }),
    );
  }
  return new Map([
    ['pod', podValues],
    ['service', serviceValues],
    ['endpoints', endpointValues],
  ]);
}

/** Values the network handlers put for the cluster, at least: a TAP, an ARP entry and a route per pod, a DNAT44 per service. */
export function minimumValues({ pods, services }: ClusterShape): number {
  return 3 * pods + services;
}
