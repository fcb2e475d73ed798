import { KubeStateChange, isResync, type Event, type EventHandler, type KubeStateData, type ResyncOperations, type UpdateOperations } from '../../src';
import { NAMESPACE_RESOURCE, VrfTableType, fieldsOf, keys } from '../messages';

/**
 * Gives every Kubernetes namespace its own VRF table (`config/vpp/v2/vrf-table/<namespace>`).
 * Registered first: the pod-interface handler reads the VRF of a pod's namespace.
 *
 * Internal state: namespace -> VRF id. Ids survive resyncs, so a resync does not renumber
 * the VRFs of existing namespaces (which would touch every interface in them).
 */
export class NamespaceVrfHandler implements EventHandler {
  readonly name = 'namespace-vrf';
  private readonly vrfIds = new Map<string, number>();
  private nextVrfId = 1;

  handlesEvent(event: Event): boolean {
    if (event instanceof KubeStateChange) return event.resource === NAMESPACE_RESOURCE;
    return isResync(event.method());
  }

  resync(_event: Event, kubeState: KubeStateData, _resyncCount: number, txn: ResyncOperations): void {
    const namespaces = new Set<string>();
    for (const value of kubeState.get(NAMESPACE_RESOURCE)?.values() ?? []) {
      if (value) namespaces.add(fieldsOf<{ name: string }>(value).name);
    }
    for (const known of [...this.vrfIds.keys()]) if (!namespaces.has(known)) this.vrfIds.delete(known);
    // A resync transaction holds the whole configuration: everything not put is removed.
    for (const namespace of namespaces) txn.put(keys.vrfTable(namespace), this.vrfTable(namespace, this.allocate(namespace)));
  }

  update(event: Event, txn: UpdateOperations): string {
    if (!(event instanceof KubeStateChange)) return '';
    const value = event.newValue ?? event.prevValue;
    if (!value) return '';
    const namespace = fieldsOf<{ name: string }>(value).name;
    if (!event.newValue) {
      this.vrfIds.delete(namespace);
      txn.delete(keys.vrfTable(namespace));
      return `removed the VRF of namespace ${namespace}`;
    }
    const id = this.allocate(namespace);
    txn.put(keys.vrfTable(namespace), this.vrfTable(namespace, id));
    return `VRF ${id} for namespace ${namespace}`;
  }

  // Only best-effort events reach this handler: there is nothing to revert.
  revert(): void {}

  describeInternalData(): string {
    return JSON.stringify([...this.vrfIds].sort(([a], [b]) => a.localeCompare(b)));
  }

  private allocate(namespace: string): number {
    let id = this.vrfIds.get(namespace);
    if (id === undefined) this.vrfIds.set(namespace, (id = this.nextVrfId++));
    return id;
  }

  private vrfTable(namespace: string, id: number) {
    return VrfTableType.fromObject({ id, label: `ns-${namespace}` });
  }
}
