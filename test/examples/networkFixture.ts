import type { ControllerConfig, EventRecord } from '../../src';
import { createTestController, type FakeSouthbound, type KubeObjects, type TestController } from '../../src/testing';
import { createNetworkHandlers, type NetworkHandlersOptions } from '../../examples/network';

/** A Kubernetes object of the DB watcher's built-in models, as plain fields (lowerCamel or the reflector's names). */
export type KubeObject = [keyword: string, fields: { name: string; namespace?: string } & Record<string, unknown>];

export const pod = (name: string, namespace = 'shop', ipAddress = ''): KubeObject => ['pod', { name, namespace, ipAddress }];

export function serviceObject(name: string, namespace: string, clusterIp: string, ports: { name: string; port: number; protocol?: string }[]): KubeObject {
  return ['service', { name, namespace, clusterIp, port: ports.map((p) => ({ protocol: 'TCP', ...p })) }];
}

export function endpointsObject(name: string, namespace: string, ips: string[], ports: { name: string; port: number }[]): KubeObject {
  return [
    'endpoints',
    { name, namespace, endpointSubsets: ips.length === 0 ? [] : [{ addresses: ips.map((ip) => ({ ip, nodeName: 'node-1' })), ports }] },
  ];
}

function byKeyword(objects: readonly KubeObject[]): KubeObjects {
  const grouped: Record<string, KubeObject[1][]> = {};
  for (const [keyword, fields] of objects) (grouped[keyword] ??= []).push(fields);
  return grouped;
}

/** JSON of what the southbound applied, key -> value. */
export function appliedJson(southbound: FakeSouthbound): Record<string, Record<string, unknown>> {
  return southbound.appliedJson() as Record<string, Record<string, unknown>>;
}

export interface NetworkRig {
  /** The testing kit's controller the handlers run on. */
  kit: TestController;
  southbound: FakeSouthbound;
  /** Adds or replaces an object (the change the DB watcher would push) and returns the event's record. */
  put(object: KubeObject): Promise<EventRecord>;
  delete(object: KubeObject): Promise<EventRecord>;
  handlerState(name: string): string;
  close(): Promise<void>;
}

/** The network handlers on the testing kit's controller, after a startup resync of `objects`. */
export async function startNetwork(objects: KubeObject[] = [], options: Partial<NetworkHandlersOptions> = {}, config: Partial<ControllerConfig> = {}): Promise<NetworkRig> {
  const handlers = createNetworkHandlers(options);
  const kit = await createTestController({
    handlers,
    kubeState: byKeyword(objects),
    // Simulated time: a healing resync runs only when a test advances the clock.
    config,
  });
  return {
    kit,
    southbound: kit.southbound,
    put: ([keyword, fields]) => kit.putKube(keyword, fields),
    delete: ([keyword, fields]) => kit.deleteKube(keyword, fields.name, fields.namespace),
    handlerState(name) {
      const handler = handlers.find((h) => h.name === name);
      return String(handler?.describeInternalData?.());
    },
    close: () => kit.close(),
  };
}
