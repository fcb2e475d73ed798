import pino from 'pino';
import {
  DBResync,
  InMemorySouthbound,
  KubeStateChange,
  createController,
  type Controller,
  type ControllerConfig,
  type EventRecord,
  type KubeStateData,
  type ProtoMessage,
} from '../../src';
import { ResourceRegistry } from '../../src/dbwatcher/registry';
import { createNetworkHandlers, type NetworkHandlersOptions } from '../../examples/network';
import { waitFor } from '../support/waitFor';

const registry = ResourceRegistry.withBuiltins();

/** A built-in kube message (src/dbwatcher/proto), as the DB watcher decodes it. */
export function kube(keyword: string, fields: Record<string, unknown>): ProtoMessage {
  return registry.get(keyword).type.fromObject(fields);
}

export function kubeKey(keyword: string, name: string, namespace?: string): string {
  return registry.keyOf(keyword, name, namespace);
}

export type KubeObject = [keyword: string, fields: { name: string; namespace?: string } & Record<string, unknown>];

export function kubeState(objects: KubeObject[]): KubeStateData {
  const state: KubeStateData = new Map();
  for (const [keyword, fields] of objects) {
    const values = state.get(keyword) ?? new Map<string, ProtoMessage | null>();
    values.set(kubeKey(keyword, fields.name, fields.namespace), kube(keyword, fields));
    state.set(keyword, values);
  }
  return state;
}

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

/** A KubeStateChange as the DB watcher pushes it: an add/modify with `newValue`, a delete with `prevValue` only. */
export function change([keyword, fields]: KubeObject, kind: 'put' | 'delete', prev?: KubeObject): KubeStateChange {
  const value = kube(keyword, fields);
  return new KubeStateChange({
    key: kubeKey(keyword, fields.name, fields.namespace),
    resource: keyword,
    ...(kind === 'put' ? { newValue: value, prevValue: prev ? kube(prev[0], prev[1]) : undefined } : { prevValue: value }),
  });
}

/** JSON of what the southbound applied, key -> value. */
export function appliedJson(southbound: InMemorySouthbound): Record<string, Record<string, unknown>> {
  return Object.fromEntries([...southbound.applied].map(([key, value]) => [key, value.toJSON() as Record<string, unknown>]));
}

export interface NetworkRig {
  controller: Controller;
  southbound: InMemorySouthbound;
  /** Pushes an event and resolves with its history record. */
  process(event: Parameters<Controller['pushEvent']>[0]): Promise<EventRecord>;
  handlerState(name: string): string;
  close(): Promise<void>;
}

/** The network handlers on a real controller and the in-memory southbound, after a startup resync of `objects`. */
export async function startNetwork(objects: KubeObject[] = [], options: Partial<NetworkHandlersOptions> = {}, config: Partial<ControllerConfig> = {}): Promise<NetworkRig> {
  const southbound = new InMemorySouthbound();
  const handlers = createNetworkHandlers(options);
  const controller = createController({
    handlers,
    southbound,
    logger: pino({ level: 'silent' }),
    // No healing resync in the middle of a unit test unless it asks for one.
    config: { delayAfterErrorHealing: 600_000, ...config },
  });
  await controller.start();
  const processEvent = async (event: Parameters<Controller['pushEvent']>[0]): Promise<EventRecord> => {
    const before = controller.eventHistory().length;
    controller.pushEvent(event);
    await waitFor(() => controller.eventHistory().length > before, `"${event.getName()}" to be processed`);
    return controller.eventHistory()[before] as EventRecord;
  };
  await processEvent(new DBResync({ kubeState: kubeState(objects) }));
  return {
    controller,
    southbound,
    process: processEvent,
    handlerState(name) {
      const handler = handlers.find((h) => h.name === name);
      return String(handler?.describeInternalData?.());
    },
    close: () => controller.close(),
  };
}
