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
import { flatString } from './flatString';
import type { PodAddressBook } from './ipamHandler';
import { parseIpv4 } from './ipv4';
import { INTERFACE_PREFIX, networkKeys, podTapName } from './keys';
import { ArpEntryType, InterfaceType, POD, RouteType, VrfTableType, objectId, viewOf, type PodFields } from './messages';
import { PodMtuChange } from './podMtuChange';
import { RevertJournal } from './revertJournal';

/** The VRF of the pods, as in Contiv-VPP (the main VRF is 0). */
export const POD_VRF_ID = 1;
/** Contiv-VPP's default pod MTU: 1500 minus the VXLAN overhead between nodes. */
export const DEFAULT_POD_MTU = 1450;

const TAP_INTERFACE: number = InterfaceType.lookupEnum('Type').values.TAP;
const INTRA_VRF_ROUTE: number = RouteType.lookupEnum('RouteType').values.INTRA_VRF;
/** The pod side of every TAP: one message, never changed, shared by all pod interfaces. */
const POD_TAP_LINK = InterfaceType.lookupType('TapLink').create({ version: 2, hostIfName: 'eth0' });

/** What the handler wired for one pod: enough to remove it again without IPAM or the kube state. */
interface WiredPod {
  tap: string;
  ip: string;
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
  /** `<namespace>/<pod>` -> what was wired for it. */
  private readonly pods = new Map<string, WiredPod>();
  /** The interface keys of the wired pods, to tell external config over them in O(1). */
  private readonly interfaces = new Set<string>();
  private mtu = DEFAULT_POD_MTU;
  private readonly journal = new RevertJournal();

  constructor(private readonly ipam: PodAddressBook) {}

  handlesEvent(event: Event): boolean {
    if (event instanceof KubeStateChange) return event.resource === POD;
    if (event instanceof ExternalConfigChange) return [...event.updatedKVs.keys()].some((key) => key.startsWith(INTERFACE_PREFIX));
    return event instanceof PodMtuChange || event instanceof Shutdown || isResync(event.method());
  }

  resync(_event: Event, kubeState: KubeStateData, _resyncCount: number, txn: ResyncOperations): void {
    // A resync transaction is the whole configuration: what is not put here is removed.
    txn.put(networkKeys.vrfTable(POD_VRF_ID), VrfTableType.fromObject({ id: POD_VRF_ID, protocol: 'IPV4', label: 'PodVRF' }));
    this.pods.clear();
    this.interfaces.clear();
    const missing: string[] = [];
    for (const value of kubeState.get(POD)?.values() ?? []) {
      if (!value) continue;
      const pod = viewOf<PodFields>(value);
      const wired = this.wire(pod);
      if (!wired) {
        missing.push(objectId(pod));
        continue;
      }
      this.setPod(objectId(pod), wired);
      this.putPod(wired, txn);
    }
    if (missing.length > 0) throw new PodAddressMissingError(missing.join(', '));
  }

  update(event: Event, txn: UpdateOperations): string {
    if (event instanceof PodMtuChange) return this.changeMtu(event, txn);
    if (event instanceof ExternalConfigChange) return this.describeExternal(event);
    if (event instanceof Shutdown) return `${this.pods.size} pod(s) left wired: pods keep their connectivity while the agent restarts`;
    if (!(event instanceof KubeStateChange)) return '';
    const value = event.newValue ?? event.prevValue;
    if (!value) return '';
    const pod = viewOf<PodFields>(value);
    const id = objectId(pod);
    const known = this.pods.get(id);
    if (this.journal.records(event)) this.journal.record(event, () => this.setPod(id, known));
    if (!event.newValue) {
      // Reverse direction: this runs before IPAM releases the address, but the handler keeps
      // what it wired anyway, so a delete never depends on another handler's state.
      if (!known) return '';
      this.setPod(id, undefined);
      txn.delete(networkKeys.route(POD_VRF_ID, `${known.ip}/32`, known.ip));
      txn.delete(networkKeys.arp(known.tap, known.ip));
      txn.delete(networkKeys.interface(known.tap));
      return `unwired ${id} (${known.ip})`;
    }
    const wired = this.wire(pod);
    if (!wired) throw new PodAddressMissingError(id);
    if (known && known.ip === wired.ip) return '';
    this.setPod(id, wired);
    this.putPod(wired, txn);
    return `wired ${id}: ${wired.tap} ${wired.ip}`;
  }

  revert(event: Event): void {
    this.journal.revert(event);
  }

  describeInternalData(): string {
    const pods = [...this.pods].sort(([a], [b]) => a.localeCompare(b));
    return JSON.stringify({ mtu: this.mtu, pods });
  }

  private setPod(id: string, wired: WiredPod | undefined): void {
    const known = this.pods.get(id);
    if (known) this.interfaces.delete(networkKeys.interface(known.tap));
    if (wired) {
      this.pods.set(id, wired);
      this.interfaces.add(networkKeys.interface(wired.tap));
    } else {
      this.pods.delete(id);
    }
  }

  private wire(pod: PodFields): WiredPod | undefined {
    const ip = this.ipam.addressOf(objectId(pod));
    return ip ? { tap: podTapName(pod.namespace, pod.name), ip } : undefined;
  }

  private putPod({ tap, ip }: WiredPod, txn: ResyncOperations): void {
    // One string for the three places that carry the pod's host route (a resync puts 100,000 of them).
    const hostNetwork = flatString(ip, '/32');
    // `create` keeps the fields as given: the one-address array as it is (fromObject copies a
    // repeated field into an array grown for 17), the TAP link shared by every interface, enums
    // as their numbers. The values live as long as their pods.
    txn.put(
      networkKeys.interface(tap),
      InterfaceType.create({ name: tap, type: TAP_INTERFACE, enabled: true, mtu: this.mtu, vrf: POD_VRF_ID, ipAddresses: [hostNetwork], tap: POD_TAP_LINK }),
    );
    txn.put(networkKeys.arp(tap, ip), ArpEntryType.create({ interface: tap, ipAddress: ip, physAddress: macOf(ip), static: true }));
    txn.put(
      networkKeys.route(POD_VRF_ID, hostNetwork, ip),
      RouteType.create({ type: INTRA_VRF_ROUTE, vrfId: POD_VRF_ID, dstNetwork: hostNetwork, nextHopAddr: ip, outgoingInterface: tap }),
    );
  }

  private changeMtu(event: PodMtuChange, txn: UpdateOperations): string {
    const previous = this.mtu;
    this.journal.record(event, () => (this.mtu = previous));
    this.mtu = event.mtu;
    // Messages are never mutated once put: each interface is rebuilt with the new MTU (a change
    // of every pod's interface is O(n) by nature; a change of one pod never is).
    for (const wired of this.pods.values()) this.putPod(wired, txn);
    return `pod MTU ${previous} -> ${event.mtu} on ${this.pods.size} interface(s)`;
  }

  /** The controller merges external values itself; the handler only says which of its own they touch. */
  private describeExternal(event: ExternalConfigChange): string {
    const touched = [...event.updatedKVs.keys()].filter((key) => this.interfaces.has(key));
    return touched.length === 0 ? '' : `external config (source "${event.source}") merged over ${touched.join(', ')}`;
  }
}

/** Two hex digits per byte value. */
const HEX_BYTES = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/** A locally administered MAC derived from the pod address: stable across resyncs. */
function macOf(ip: string): string {
  const address = parseIpv4(ip);
  return flatString('02:fe:', HEX_BYTES[address >>> 24], ':', HEX_BYTES[(address >>> 16) & 0xff], ':', HEX_BYTES[(address >>> 8) & 0xff], ':', HEX_BYTES[address & 0xff]);
}
