import {
  ExternalConfigChange,
  KubeStateChange,
  Shutdown,
  isResync,
  type Event,
  type EventHandler,
  type KubeStateData,
  type ResyncOperations,
  type UpdateOperations,
} from '../../src';
import { PodAddressMissingError } from './errors';
import type { PodAddressBook } from './ipamHandler';
import { INTERFACE_PREFIX, networkKeys, podTapName } from './keys';
import { ArpEntryType, InterfaceType, POD, RouteType, VrfTableType, fieldsOf, objectId, type PodFields } from './messages';
import { PodMtuChange } from './podMtuChange';
import { RevertJournal } from './revertJournal';

/** The VRF of the pods, as in Contiv-VPP (the main VRF is 0). */
export const POD_VRF_ID = 1;
/** Contiv-VPP's default pod MTU: 1500 minus the VXLAN overhead between nodes. */
export const DEFAULT_POD_MTU = 1450;

/** What the handler wired for one pod: enough to remove it again without IPAM or the kube state. */
interface WiredPod {
  tap: string;
  ip: string;
}

interface PodNetworkState {
  pods: Map<string, WiredPod>;
  mtu: number;
}

/**
 * Connects every pod to VPP (the Contiv-VPP pod wiring, reduced), in the pod VRF:
 *   config/vpp/v2/interfaces/tap-<ns>-<pod>                 the pod's TAP
 *   config/vpp/v2/arp/tap-<ns>-<pod>/<ip>                   a static ARP entry for the pod
 *   config/vpp/v2/route/vrf/1/dst/<ip>/32/gw/<ip>           the route to the pod
 * and once per node the pod VRF table `config/vpp/v2/vrf-table/id/1/protocol/IPV4`.
 * In the reference southbound (NETWORK_DEPENDENCY_RULES) the ARP entry waits for its TAP and
 * the route for the VRF table: a failed TAP leaves its ARP entry PENDING.
 *
 * Reads pod addresses from IPAM through a `PodAddressBook` (a shared read-only view, not the
 * controller's getConfig: the allocation is IPAM's internal state, not southbound config).
 */
export class PodNetworkHandler implements EventHandler {
  readonly name = 'pod-network';
  private state: PodNetworkState = { pods: new Map(), mtu: DEFAULT_POD_MTU };
  private readonly journal = new RevertJournal<PodNetworkState>();

  constructor(private readonly ipam: PodAddressBook) {}

  handlesEvent(event: Event): boolean {
    if (event instanceof KubeStateChange) return event.resource === POD;
    if (event instanceof ExternalConfigChange) return [...event.updatedKVs.keys()].some((key) => key.startsWith(INTERFACE_PREFIX));
    return event instanceof PodMtuChange || event instanceof Shutdown || isResync(event.method());
  }

  resync(_event: Event, kubeState: KubeStateData, _resyncCount: number, txn: ResyncOperations): void {
    // A resync transaction is the whole configuration: what is not put here is removed.
    txn.put(networkKeys.vrfTable(POD_VRF_ID), VrfTableType.fromObject({ id: POD_VRF_ID, protocol: 'IPV4', label: 'PodVRF' }));
    const pods = new Map<string, WiredPod>();
    const missing: string[] = [];
    for (const value of kubeState.get(POD)?.values() ?? []) {
      if (!value) continue;
      const pod = fieldsOf<PodFields>(value);
      const wired = this.wire(pod);
      if (wired) pods.set(objectId(pod), wired);
      else missing.push(objectId(pod));
    }
    this.state.pods = pods;
    for (const wired of pods.values()) this.putPod(wired, txn);
    if (missing.length > 0) throw new PodAddressMissingError(missing.join(', '));
  }

  update(event: Event, txn: UpdateOperations): string {
    if (event instanceof PodMtuChange) return this.changeMtu(event, txn);
    if (event instanceof ExternalConfigChange) return this.describeExternal(event);
    if (event instanceof Shutdown) return `${this.state.pods.size} pod(s) left wired: pods keep their connectivity while the agent restarts`;
    if (!(event instanceof KubeStateChange)) return '';
    const value = event.newValue ?? event.prevValue;
    if (!value) return '';
    const pod = fieldsOf<PodFields>(value);
    const id = objectId(pod);
    this.journal.remember(event, () => this.snapshot());
    const known = this.state.pods.get(id);
    if (!event.newValue) {
      // Reverse direction: this runs before IPAM releases the address, but the handler keeps
      // what it wired anyway, so a delete never depends on another handler's state.
      if (!known) return '';
      this.state.pods.delete(id);
      txn.delete(networkKeys.route(POD_VRF_ID, `${known.ip}/32`, known.ip));
      txn.delete(networkKeys.arp(known.tap, known.ip));
      txn.delete(networkKeys.interface(known.tap));
      return `unwired ${id} (${known.ip})`;
    }
    const wired = this.wire(pod);
    if (!wired) throw new PodAddressMissingError(id);
    if (known && known.ip === wired.ip) return '';
    this.state.pods.set(id, wired);
    this.putPod(wired, txn);
    return `wired ${id}: ${wired.tap} ${wired.ip}`;
  }

  revert(event: Event): void {
    const before = this.journal.take(event);
    if (before) this.state = before;
  }

  describeInternalData(): string {
    const pods = [...this.state.pods].sort(([a], [b]) => a.localeCompare(b));
    return JSON.stringify({ mtu: this.state.mtu, pods });
  }

  private wire(pod: PodFields): WiredPod | undefined {
    const ip = this.ipam.addressOf(objectId(pod));
    return ip ? { tap: podTapName(pod.namespace, pod.name), ip } : undefined;
  }

  private putPod({ tap, ip }: WiredPod, txn: ResyncOperations): void {
    txn.put(
      networkKeys.interface(tap),
      InterfaceType.fromObject({
        name: tap,
        type: 'TAP',
        enabled: true,
        mtu: this.state.mtu,
        vrf: POD_VRF_ID,
        ipAddresses: [`${ip}/32`],
        tap: { version: 2, hostIfName: 'eth0' },
      }),
    );
    txn.put(networkKeys.arp(tap, ip), ArpEntryType.fromObject({ interface: tap, ipAddress: ip, physAddress: macOf(ip), static: true }));
    txn.put(
      networkKeys.route(POD_VRF_ID, `${ip}/32`, ip),
      RouteType.fromObject({ type: 'INTRA_VRF', vrfId: POD_VRF_ID, dstNetwork: `${ip}/32`, nextHopAddr: ip, outgoingInterface: tap }),
    );
  }

  private changeMtu(event: PodMtuChange, txn: UpdateOperations): string {
    this.journal.remember(event, () => this.snapshot());
    const previous = this.state.mtu;
    this.state.mtu = event.mtu;
    // Messages are never mutated once put: each interface is rebuilt with the new MTU.
    for (const wired of this.state.pods.values()) this.putPod(wired, txn);
    return `pod MTU ${previous} -> ${event.mtu} on ${this.state.pods.size} interface(s)`;
  }

  /** The controller merges external values itself; the handler only says which of its own they touch. */
  private describeExternal(event: ExternalConfigChange): string {
    const ours = new Set([...this.state.pods.values()].map((wired) => networkKeys.interface(wired.tap)));
    const touched = [...event.updatedKVs.keys()].filter((key) => ours.has(key));
    return touched.length === 0 ? '' : `external config (source "${event.source}") merged over ${touched.join(', ')}`;
  }

  private snapshot(): PodNetworkState {
    return { pods: new Map(this.state.pods), mtu: this.state.mtu };
  }
}

/** A locally administered MAC derived from the pod address: stable across resyncs. */
function macOf(ip: string): string {
  return ['02', 'fe', ...ip.split('.').map((octet) => Number(octet).toString(16).padStart(2, '0'))].join(':');
}
