import {
  KubeStateChange,
  Shutdown,
  isResync,
  type Event,
  type EventHandler,
  type KubeStateData,
  type ProtoMessage,
  type ResyncOperations,
  type UpdateOperations,
} from '../../src';
import { MtuRefusedError } from './errors';
import { networkKeys, serviceLabel } from './keys';
import { DNat44Type, ENDPOINTS, Nat44GlobalType, SERVICE, objectId, viewOf, type EndpointsFields, type ServiceFields } from './messages';
import { POD_VRF_ID } from './podNetworkHandler';
import { PodMtuChange } from './podMtuChange';
import { RevertJournal } from './revertJournal';

/**
 * Local addresses in a stable order ("10.1.1.9" before "10.1.1.10"). One collator for all: `localeCompare`
 * with options builds one per call, which was a sixth of a 100,000-pod resync.
 */
const ADDRESS_ORDER = new Intl.Collator('en', { numeric: true });

/** The largest MTU the (pretend) NAT translates; a larger PodMtuChange is refused. */
export const NAT_MAX_MTU = 9000;

/** One static mapping as the handler computes it (before it becomes a message). */
export interface StaticMapping {
  externalIp: string;
  externalPort: number;
  protocol: 'TCP' | 'UDP';
  localIps: { vrfId: number; localIp: string; localPort: number; probability: number }[];
}

interface ServiceNatState {
  services: Map<string, ServiceFields>;
  endpoints: Map<string, EndpointsFields>;
  /** Services whose DNAT44 is in the southbound. */
  published: Set<string>;
}

/**
 * Load-balances every Kubernetes service to its ready endpoints with one DNAT44 per service
 * (`config/vpp/nat/v2/dnat44/<namespace>-<name>`): a static mapping per service port from the
 * cluster IP to the endpoints' addresses, as Contiv-VPP's service plugin does. Also puts the
 * NAT44 global settings, on which every DNAT44 depends in the reference southbound.
 *
 * Reacts to both `service` and `endpoints` changes: either side can arrive first, and a service
 * without ready endpoints has no mapping at all. Refuses a PodMtuChange above NAT_MAX_MTU, which
 * reverts the pod network (registered before it).
 */
export class ServiceNatHandler implements EventHandler {
  readonly name = 'service-nat';
  private state: ServiceNatState = { services: new Map(), endpoints: new Map(), published: new Set() };
  private readonly journal = new RevertJournal();

  handlesEvent(event: Event): boolean {
    if (event instanceof KubeStateChange) return event.resource === SERVICE || event.resource === ENDPOINTS;
    return event instanceof PodMtuChange || event instanceof Shutdown || isResync(event.method());
  }

  resync(_event: Event, kubeState: KubeStateData, _resyncCount: number, txn: ResyncOperations): void {
    txn.put(networkKeys.nat44Global(), Nat44GlobalType.fromObject({ forwarding: true }));
    this.state = {
      services: collect<ServiceFields>(kubeState.get(SERVICE)?.values()),
      endpoints: collect<EndpointsFields>(kubeState.get(ENDPOINTS)?.values()),
      published: new Set(),
    };
    for (const id of [...this.state.services.keys()].sort()) {
      const dnat = this.dnatOf(id);
      if (!dnat) continue;
      txn.put(networkKeys.dnat44(dnat.label), dnat.message);
      this.state.published.add(id);
    }
  }

  update(event: Event, txn: UpdateOperations): string {
    if (event instanceof PodMtuChange) {
      // Non-fatal: the event is RevertOnFailure, so the pod network's new MTU is reverted.
      if (event.mtu > NAT_MAX_MTU) throw new MtuRefusedError(event.mtu, NAT_MAX_MTU);
      return '';
    }
    if (event instanceof Shutdown) return `${this.state.published.size} service mapping(s) left in place`;
    if (!(event instanceof KubeStateChange)) return '';
    const value = event.newValue ?? event.prevValue;
    if (!value) return '';
    const object = viewOf<{ name: string; namespace: string }>(value);
    const id = objectId(object);
    const table: Map<string, unknown> = event.resource === SERVICE ? this.state.services : this.state.endpoints;
    if (this.journal.records(event)) {
      const before = table.get(id);
      const wasPublished = this.state.published.has(id);
      this.journal.record(event, () => {
        if (before === undefined) table.delete(id);
        else table.set(id, before);
        if (wasPublished) this.state.published.add(id);
        else this.state.published.delete(id);
      });
    }
    if (event.newValue) table.set(id, viewOf(event.newValue));
    else table.delete(id);

    const dnat = this.dnatOf(id);
    const label = serviceLabel(object.namespace, object.name);
    if (dnat) {
      txn.put(networkKeys.dnat44(label), dnat.message);
      this.state.published.add(id);
      return `${id}: ${dnat.summary}`;
    }
    if (!this.state.published.delete(id)) return '';
    txn.delete(networkKeys.dnat44(label));
    return `${id}: no ready endpoints, mapping removed`;
  }

  revert(event: Event): void {
    this.journal.revert(event);
  }

  describeInternalData(): string {
    return JSON.stringify({ services: [...this.state.services.keys()].sort(), endpoints: [...this.state.endpoints.keys()].sort(), published: [...this.state.published].sort() });
  }

  /** The service's DNAT44, or undefined when it has no cluster IP or no ready endpoint. */
  private dnatOf(id: string): { label: string; message: ProtoMessage; summary: string } | undefined {
    const service = this.state.services.get(id);
    const endpoints = this.state.endpoints.get(id);
    if (!service || !endpoints) return undefined;
    const mappings = staticMappings(service, endpoints);
    if (mappings.length === 0) return undefined;
    const label = serviceLabel(service.namespace, service.name);
    const summary = mappings
      .map((m) => `${m.externalIp}:${m.externalPort}/${m.protocol} -> ${m.localIps.map((l) => `${l.localIp}:${l.localPort}`).join(', ')}`)
      .join('; ');
    return { label, message: DNat44Type.fromObject({ label, stMappings: mappings }), summary };
  }

}

/**
 * One mapping per service port with at least one ready endpoint. Endpoint ports carry the
 * service port's name (Kubernetes' rule), so they are matched by name; addresses are sorted so
 * that the same endpoints always give the same value (and the southbound sees no change).
 */
export function staticMappings(service: ServiceFields, endpoints: EndpointsFields): StaticMapping[] {
  if (!service.clusterIp || service.clusterIp === 'None') return [];
  const mappings: StaticMapping[] = [];
  for (const port of service.port) {
    const protocol = (port.protocol || 'TCP').toUpperCase();
    if (protocol !== 'TCP' && protocol !== 'UDP') continue;
    const localIps: StaticMapping['localIps'] = [];
    for (const subset of endpoints.endpointSubsets) {
      const target = subset.ports.find((p) => p.name === port.name);
      if (!target) continue;
      for (const address of subset.addresses) localIps.push({ vrfId: POD_VRF_ID, localIp: address.ip, localPort: target.port, probability: 1 });
    }
    if (localIps.length === 0) continue;
    localIps.sort((a, b) => ADDRESS_ORDER.compare(a.localIp, b.localIp) || a.localPort - b.localPort);
    mappings.push({ externalIp: service.clusterIp, externalPort: port.port, protocol, localIps });
  }
  return mappings;
}

function collect<T extends { name: string; namespace: string }>(values: Iterable<ProtoMessage | null> | undefined): Map<string, T> {
  const out = new Map<string, T>();
  for (const value of values ?? []) {
    if (!value) continue;
    const object = viewOf<T>(value);
    out.set(objectId(object), object);
  }
  return out;
}
