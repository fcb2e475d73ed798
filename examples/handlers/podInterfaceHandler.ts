import {
  KubeStateChange,
  isResync,
  type ConfigRetriever,
  type Event,
  type EventHandler,
  type KubeStateData,
  type ResyncOperations,
  type UpdateOperations,
} from '../../src';
import { InterfaceMtuChange } from '../events/interfaceMtuChange';
import { InterfaceType, POD_RESOURCE, fieldsOf, keys, type PodFields } from '../messages';

const DEFAULT_MTU = 1500;

/** What the handler knows about one pod: enough to rebuild its interface without the kube state. */
interface PodInterface {
  namespace: string;
  ipAddress: string;
  mtu: number;
}

/**
 * Connects every pod with an interface (`config/vpp/v2/interfaces/<pod>`) in the VRF of its
 * namespace. Depends on NamespaceVrfHandler (reads its VRF tables through `getConfig`), and is
 * depended on by RouteHandler.
 *
 * Handles InterfaceMtuChange, a RevertOnFailure event: it keeps the previous MTU per event so
 * that `revert` can restore its internal state when a later handler refuses the change.
 */
export class PodInterfaceHandler implements EventHandler {
  readonly name = 'pod-interface';
  private readonly pods = new Map<string, PodInterface>();
  private readonly mtuBeforeEvent = new WeakMap<Event, { pod: string; mtu: number }>();

  constructor(private readonly config: ConfigRetriever) {}

  handlesEvent(event: Event): boolean {
    if (event instanceof KubeStateChange) return event.resource === POD_RESOURCE;
    return event instanceof InterfaceMtuChange || isResync(event.method());
  }

  resync(_event: Event, kubeState: KubeStateData, _resyncCount: number, txn: ResyncOperations): void {
    const seen = new Set<string>();
    for (const value of kubeState.get(POD_RESOURCE)?.values() ?? []) {
      if (!value) continue;
      const pod = fieldsOf<PodFields>(value);
      seen.add(pod.name);
      const known = this.pods.get(pod.name);
      this.pods.set(pod.name, { namespace: pod.namespace, ipAddress: pod.ipAddress, mtu: known?.mtu ?? DEFAULT_MTU });
      txn.put(keys.podInterface(pod.name), this.interfaceOf(pod.name));
    }
    for (const name of [...this.pods.keys()]) if (!seen.has(name)) this.pods.delete(name);
  }

  update(event: Event, txn: UpdateOperations): string {
    if (event instanceof InterfaceMtuChange) return this.changeMtu(event, txn);
    if (!(event instanceof KubeStateChange)) return '';
    if (!event.newValue) {
      const pod = fieldsOf<PodFields>(event.prevValue ?? missingValue(event));
      this.pods.delete(pod.name);
      txn.delete(keys.podInterface(pod.name));
      return `disconnected pod ${pod.namespace}/${pod.name}`;
    }
    const pod = fieldsOf<PodFields>(event.newValue);
    const known = this.pods.get(pod.name);
    this.pods.set(pod.name, { namespace: pod.namespace, ipAddress: pod.ipAddress, mtu: known?.mtu ?? DEFAULT_MTU });
    txn.put(keys.podInterface(pod.name), this.interfaceOf(pod.name));
    return `connected pod ${pod.namespace}/${pod.name} (${pod.ipAddress})`;
  }

  revert(event: Event): void {
    const before = this.mtuBeforeEvent.get(event);
    const pod = before && this.pods.get(before.pod);
    if (before && pod) pod.mtu = before.mtu;
  }

  describeInternalData(): string {
    return JSON.stringify([...this.pods].sort(([a], [b]) => a.localeCompare(b)));
  }

  private changeMtu(event: InterfaceMtuChange, txn: UpdateOperations): string {
    const pod = this.pods.get(event.pod);
    // A plain Error is non-fatal: for a RevertOnFailure event it stops the handler chain.
    if (!pod) throw new Error(`no interface for pod "${event.pod}"`);
    this.mtuBeforeEvent.set(event, { pod: event.pod, mtu: pod.mtu });
    const previous = pod.mtu;
    pod.mtu = event.mtu;
    txn.put(keys.podInterface(event.pod), this.interfaceOf(event.pod));
    return `MTU of pod ${event.pod}: ${previous} -> ${event.mtu}`;
  }

  private interfaceOf(podName: string) {
    const pod = this.pods.get(podName) as PodInterface;
    // getConfig sees the current transaction first: during a resync the namespace handler has
    // already put the VRF tables into it. A pod of an unknown namespace stays in VRF 0.
    const vrfTable = this.config.getConfig(keys.vrfTable(pod.namespace));
    const vrf = vrfTable ? fieldsOf<{ id: number }>(vrfTable).id : 0;
    return InterfaceType.fromObject({
      name: `tap-${podName}`,
      enabled: true,
      vrf,
      ipAddresses: pod.ipAddress ? [`${pod.ipAddress}/32`] : [],
      mtu: pod.mtu,
    });
  }
}

function missingValue(event: KubeStateChange): never {
  throw new Error(`pod change of ${event.key} carries no value`);
}
