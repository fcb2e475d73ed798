import { Root, type Type } from 'protobufjs';
import { isResync, KubeStateChange, type EventHandler, type KubeStateData } from '../../src';

/** The value the test handler puts: one interface per pod. */
export const InterfaceType: Type = Root.fromJSON({
  nested: { Interface: { fields: { name: { type: 'string', id: 1 }, ip: { type: 'string', id: 2 }, mtu: { type: 'uint32', id: 3 } } } },
}).lookupType('Interface');

export const interfaceKey = (podKey: string): string => `interfaces/${podKey}`;

function interfaceOf(key: string, pod: { ipAddress?: string }): ReturnType<Type['create']> {
  return InterfaceType.create(pod.ipAddress ? { name: key, ip: pod.ipAddress } : { name: key });
}

/** A handler with something to commit for every pod, the shape of the README's example. */
export function podInterfaces(calls: string[] = []): EventHandler {
  return {
    name: 'pod-interfaces',
    // Every resync (the startup DBResync, a healing resync after an error) rebuilds the whole configuration.
    handlesEvent: (event) => isResync(event.method()) || (event instanceof KubeStateChange && event.resource === 'pod'),
    resync(_event, kubeState: KubeStateData, _count, txn) {
      calls.push('resync');
      for (const [key, pod] of kubeState.get('pod') ?? []) if (pod) txn.put(interfaceKey(key), interfaceOf(key, pod as { ipAddress?: string }));
    },
    update(event, txn) {
      const change = event as KubeStateChange;
      calls.push(`update ${change.key}`);
      if (change.newValue) txn.put(interfaceKey(change.key), interfaceOf(change.key, change.newValue as { ipAddress?: string }));
      else txn.delete(interfaceKey(change.key));
      return `interface for ${change.key}`;
    },
    revert() {},
  };
}
