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
import { POD_RESOURCE, RouteType, fieldsOf, keys, type InterfaceFields, type PodFields } from '../messages';

/** The largest MTU this (pretend) route table accepts. */
export const MAX_ROUTE_MTU = 9000;

/**
 * Routes each pod's address to its interface (`config/vpp/v2/route/<pod>`). Depends on
 * PodInterfaceHandler: it reads the interface the same event just put, through `getConfig`.
 * Being registered after it, it runs after it for adds (Forward) and before it for deletes
 * (Reverse), so a route never points at an interface that does not exist.
 *
 * Stateless: everything it needs is in the configuration, so `revert` has nothing to do.
 */
export class RouteHandler implements EventHandler {
  readonly name = 'route';

  constructor(private readonly config: ConfigRetriever) {}

  handlesEvent(event: Event): boolean {
    if (event instanceof KubeStateChange) return event.resource === POD_RESOURCE;
    return event instanceof InterfaceMtuChange || isResync(event.method());
  }

  resync(_event: Event, kubeState: KubeStateData, _resyncCount: number, txn: ResyncOperations): void {
    for (const value of kubeState.get(POD_RESOURCE)?.values() ?? []) {
      if (value) this.putRoute(fieldsOf<PodFields>(value).name, txn);
    }
  }

  update(event: Event, txn: UpdateOperations): string {
    if (event instanceof InterfaceMtuChange) {
      if (event.mtu > MAX_ROUTE_MTU) {
        // Non-fatal: the event is RevertOnFailure, so the pod-interface handler is reverted.
        throw new Error(`route of pod ${event.pod} cannot carry MTU ${event.mtu} (max ${MAX_ROUTE_MTU})`);
      }
      return this.putRoute(event.pod, txn);
    }
    if (!(event instanceof KubeStateChange)) return '';
    if (!event.newValue) {
      if (!event.prevValue) return '';
      const pod = fieldsOf<PodFields>(event.prevValue);
      txn.delete(keys.podRoute(pod.name));
      return `removed the route of pod ${pod.name}`;
    }
    return this.putRoute(fieldsOf<PodFields>(event.newValue).name, txn);
  }

  revert(): void {}

  private putRoute(podName: string, txn: ResyncOperations): string {
    const podInterface = this.config.getConfig(keys.podInterface(podName));
    if (!podInterface) throw new Error(`pod ${podName} has no interface to route to`);
    const { name, vrf, ipAddresses, mtu } = fieldsOf<InterfaceFields>(podInterface);
    if (ipAddresses.length === 0) return '';
    txn.put(keys.podRoute(podName), RouteType.fromObject({ dstNetwork: ipAddresses[0], outgoingInterface: name, vrfId: vrf, mtu }));
    return `${ipAddresses[0]} via ${name} (VRF ${vrf})`;
  }
}
