import { flatString } from './flatString';

/**
 * The southbound keys the network handlers put: the ligato vpp-agent v2 key layout that
 * Contiv-VPP used (without the `/vnf-agent/<agent-label>/` prefix, which is where the same keys
 * live as external config).
 */
export const INTERFACE_PREFIX = 'config/vpp/v2/interfaces/';
export const ARP_PREFIX = 'config/vpp/v2/arp/';
export const ROUTE_PREFIX = 'config/vpp/v2/route/';
export const VRF_TABLE_PREFIX = 'config/vpp/v2/vrf-table/';
export const NAT44_GLOBAL_PREFIX = 'config/vpp/nat/v2/nat44-global/';
export const DNAT44_PREFIX = 'config/vpp/nat/v2/dnat44/';

/**
 * Built flat (see flatString): the transaction flattens the keys it is given, but the handlers
 * also keep keys of their own (pod-network's set of interface keys) for as long as the pods.
 */
export const networkKeys = {
  interface: (name: string) => flatString(INTERFACE_PREFIX, name),
  arp: (iface: string, ip: string) => flatString(ARP_PREFIX, iface, '/', ip),
  /** `dstNetwork` carries its mask (`10.1.1.2/32`); the gateway part is empty when there is none. */
  route: (vrf: number, dstNetwork: string, gateway: string) => flatString(ROUTE_PREFIX, 'vrf/', vrf, '/dst/', dstNetwork, '/gw/', gateway),
  vrfTable: (id: number) => flatString(VRF_TABLE_PREFIX, 'id/', id, '/protocol/IPV4'),
  nat44Global: () => `${NAT44_GLOBAL_PREFIX}settings`,
  dnat44: (label: string) => flatString(DNAT44_PREFIX, label),
};

/** The VPP side of a pod's TAP: `tap-<namespace>-<pod>`. */
export function podTapName(namespace: string, pod: string): string {
  return flatString('tap-', namespace, '-', pod);
}

/** The DNAT44 label of a service: `<namespace>-<name>` (a key part, so no "/"). */
export function serviceLabel(namespace: string, name: string): string {
  return flatString(namespace, '-', name);
}
