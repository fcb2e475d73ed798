import { KubeStateChange, Shutdown, isResync, type Event, type EventHandler, type KubeStateData, type ResyncOperations, type UpdateOperations } from '../../src';
import { IpamExhaustedError } from './errors';
import { carveSubnet, contains, formatCidr, formatIpv4, lastAddress, parseCidr, parseIpv4, type Ipv4Subnet } from './ipv4';
import { POD, fieldsOf, objectId, type PodFields } from './messages';
import { RevertJournal } from './revertJournal';

/** What other handlers may read of IPAM: a read-only view, handed to them at construction. */
export interface PodAddressBook {
  /** The node's pod subnet, e.g. `10.1.1.0/24`. */
  readonly nodeSubnet: string;
  /** The pods' gateway (the subnet's first address, kept for the node). */
  readonly gateway: string;
  /** The address allocated to `<namespace>/<pod>`, if any. */
  addressOf(podId: string): string | undefined;
}

export interface IpamOptions {
  nodeName: string;
  /** The cluster's pod network, e.g. `10.1.0.0/16`. */
  podSubnet: string;
  /** Length of each node's share of `podSubnet` (default 24). */
  nodeSubnetPrefix?: number;
}

/**
 * The node's share of the pod network: the original takes it from the node ID it allocates in
 * etcd; the example derives the ID from the node name: its trailing number (`node-1` -> 1),
 * else a hash of the name. Deterministic, so every restart carves the same subnet.
 */
export function nodeSubnetOf(options: IpamOptions): Ipv4Subnet {
  const trailing = /(\d+)$/.exec(options.nodeName);
  let index = trailing ? Number(trailing[1]) : 2166136261;
  // FNV-1a: a stable hash, the same in every process.
  if (!trailing) for (const char of options.nodeName) index = Math.imul(index ^ char.charCodeAt(0), 16777619) >>> 0;
  return carveSubnet(parseCidr(options.podSubnet), options.nodeSubnetPrefix ?? 24, index);
}

/**
 * Allocates pod addresses from the node's subnet (the Contiv-VPP IPAM, reduced). Puts no keys:
 * its allocation table is internal state, which the pod-network handler reads through the
 * `PodAddressBook` view. Registered before the pod network, so on a pod add (Forward) the address
 * exists when the pod network runs, and on a pod delete (Reverse) it is released only after the
 * pod network removed what used it.
 *
 * Deterministic: the lowest free address; a resync keeps the addresses of pods still present,
 * takes a pod's own `ipAddress` from the kube state when it lies in the subnet and is free (how
 * allocations survive an agent restart), and allocates the rest in `<namespace>/<pod>` order.
 */
export class IpamHandler implements EventHandler, PodAddressBook {
  readonly name = 'ipam';
  readonly nodeSubnet: string;
  readonly gateway: string;
  private readonly subnet: Ipv4Subnet;
  private readonly firstHost: number;
  private readonly lastHost: number;
  /** `<namespace>/<pod>` -> address. */
  private allocations = new Map<string, number>();
  private readonly journal = new RevertJournal<Map<string, number>>();

  constructor(options: IpamOptions) {
    this.subnet = nodeSubnetOf(options);
    this.nodeSubnet = formatCidr(this.subnet);
    this.gateway = formatIpv4(this.subnet.network + 1);
    this.firstHost = this.subnet.network + 2;
    this.lastHost = lastAddress(this.subnet) - 1;
  }

  addressOf(podId: string): string | undefined {
    const address = this.allocations.get(podId);
    return address === undefined ? undefined : formatIpv4(address);
  }

  handlesEvent(event: Event): boolean {
    if (event instanceof KubeStateChange) return event.resource === POD;
    return event instanceof Shutdown || isResync(event.method());
  }

  resync(_event: Event, kubeState: KubeStateData, _resyncCount: number, _txn: ResyncOperations): void {
    const pods = new Map<string, PodFields>();
    for (const value of kubeState.get(POD)?.values() ?? []) {
      if (value) pods.set(objectId(fieldsOf<PodFields>(value)), fieldsOf<PodFields>(value));
    }
    for (const id of [...this.allocations.keys()]) if (!pods.has(id)) this.allocations.delete(id);
    const unallocated: string[] = [];
    for (const id of [...pods.keys()].sort()) {
      if (this.allocations.has(id)) continue;
      const address = this.allocate(pods.get(id)?.ipAddress ?? '');
      if (address === undefined) unallocated.push(id);
      else this.allocations.set(id, address);
    }
    // A plain error: the resync still commits what it could, and a healing resync retries.
    if (unallocated.length > 0) throw new IpamExhaustedError(this.nodeSubnet, unallocated);
  }

  update(event: Event, _txn: UpdateOperations): string {
    if (event instanceof Shutdown) return `${this.allocations.size} address(es) allocated in ${this.nodeSubnet}; restored from the pods at the next start`;
    if (!(event instanceof KubeStateChange)) return '';
    const value = event.newValue ?? event.prevValue;
    if (!value) return '';
    const pod = fieldsOf<PodFields>(value);
    const id = objectId(pod);
    this.journal.remember(event, () => new Map(this.allocations));
    if (!event.newValue) {
      const released = this.allocations.get(id);
      if (released === undefined) return '';
      this.allocations.delete(id);
      return `released ${formatIpv4(released)} of ${id}`;
    }
    if (this.allocations.has(id)) return '';
    const address = this.allocate(pod.ipAddress);
    if (address === undefined) throw new IpamExhaustedError(this.nodeSubnet, [id]);
    this.allocations.set(id, address);
    return `${id} -> ${formatIpv4(address)}`;
  }

  revert(event: Event): void {
    const before = this.journal.take(event);
    if (before) this.allocations = before;
  }

  describeInternalData(): string {
    return JSON.stringify([...this.allocations].sort(([a], [b]) => a.localeCompare(b)).map(([id, address]) => [id, formatIpv4(address)]));
  }

  /** The requested address when it is usable, else the lowest free one; undefined when full. */
  private allocate(requested: string): number | undefined {
    const used = new Set(this.allocations.values());
    const wanted = requested ? safeParse(requested) : undefined;
    if (wanted !== undefined && contains(this.subnet, wanted) && wanted >= this.firstHost && wanted <= this.lastHost && !used.has(wanted)) return wanted;
    for (let address = this.firstHost; address <= this.lastHost; address++) if (!used.has(address)) return address;
    return undefined;
  }
}

function safeParse(text: string): number | undefined {
  try {
    return parseIpv4(text);
  } catch {
    return undefined;
  }
}
