import { KubeStateChange, Shutdown, isResync, type Event, type EventHandler, type KubeStateData, type ResyncOperations, type UpdateOperations } from '../../src';
import { IpamExhaustedError } from './errors';
import { AddressPool } from './addressPool';
import { carveSubnet, formatCidr, formatIpv4, lastAddress, parseCidr, parseIpv4, type Ipv4Subnet } from './ipv4';
import { POD, objectId, viewOf, type PodFields } from './messages';
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
 *
 * O(log n) per pod (AddressPool), and a RevertOnFailure event journals the one change it made:
 * a resync of 100,000 pods stays linear. Handlers run on the event loop: work that grows with the
 * number of pods, done for every pod, is what makes a big resync take minutes.
 */
export class IpamHandler implements EventHandler, PodAddressBook {
  readonly name = 'ipam';
  readonly nodeSubnet: string;
  readonly gateway: string;
  private readonly subnet: Ipv4Subnet;
  /** `<namespace>/<pod>` -> address. */
  private readonly allocations = new Map<string, number>();
  /** The subnet's host addresses but the gateway. */
  private readonly pool: AddressPool;
  private readonly journal = new RevertJournal();

  constructor(options: IpamOptions) {
    this.subnet = nodeSubnetOf(options);
    this.nodeSubnet = formatCidr(this.subnet);
    this.gateway = formatIpv4(this.subnet.network + 1);
    this.pool = new AddressPool(this.subnet.network + 2, lastAddress(this.subnet) - 1);
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
      if (!value) continue;
      const pod = viewOf<PodFields>(value);
      pods.set(objectId(pod), pod);
    }
    for (const [id, address] of this.allocations) {
      if (pods.has(id)) continue;
      this.allocations.delete(id);
      this.pool.release(address);
    }
    const unallocated: string[] = [];
    for (const id of [...pods.keys()].sort()) {
      if (this.allocations.has(id)) continue;
      const address = this.pool.take(requestedAddress(pods.get(id)?.ipAddress ?? ''));
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
    const pod = viewOf<PodFields>(value);
    const id = objectId(pod);
    if (!event.newValue) {
      const released = this.allocations.get(id);
      if (released === undefined) return '';
      this.allocations.delete(id);
      this.pool.release(released);
      if (this.journal.records(event)) this.journal.record(event, () => this.restore(id, released));
      return `released ${formatIpv4(released)} of ${id}`;
    }
    if (this.allocations.has(id)) return '';
    const address = this.pool.take(requestedAddress(pod.ipAddress));
    if (address === undefined) throw new IpamExhaustedError(this.nodeSubnet, [id]);
    this.allocations.set(id, address);
    if (this.journal.records(event)) this.journal.record(event, () => this.forget(id));
    return `${id} -> ${formatIpv4(address)}`;
  }

  revert(event: Event): void {
    this.journal.revert(event);
  }

  describeInternalData(): string {
    return JSON.stringify([...this.allocations].sort(([a], [b]) => a.localeCompare(b)).map(([id, address]) => [id, formatIpv4(address)]));
  }

  private forget(id: string): void {
    const address = this.allocations.get(id);
    if (address === undefined) return;
    this.allocations.delete(id);
    this.pool.release(address);
  }

  private restore(id: string, address: number): void {
    if (this.pool.take(address) === address) this.allocations.set(id, address);
  }
}

/** A pod's own address, when it parses. */
function requestedAddress(text: string): number | undefined {
  return text ? safeParse(text) : undefined;
}

function safeParse(text: string): number | undefined {
  try {
    return parseIpv4(text);
  } catch {
    return undefined;
  }
}
