import type { DependencyRule } from '../../src/southbound/agent/dependencyRules';

/**
 * The dependencies between the network handlers' keys, for the reference southbound
 * (`SouthboundServer.start({ engineOptions: { dependencyRules: NETWORK_DEPENDENCY_RULES } })`).
 * vpp-agent derives them from the values; the reference southbound only sees keys, so each
 * rule finds the key it depends on from parts of the dependant's key.
 */
export const NETWORK_DEPENDENCY_RULES: DependencyRule[] = [
  // A static ARP entry needs its interface: config/vpp/v2/arp/<interface>/<ip>.
  { key: '^config/vpp/v2/arp/(?<iface>[^/]+)/', dependsOn: ['config/vpp/v2/interfaces/$<iface>'] },
  // A route in a non-default VRF needs the VRF table (VRF 0 always exists).
  { key: '^config/vpp/v2/route/vrf/(?<vrf>[1-9]\\d*)/', dependsOn: ['config/vpp/v2/vrf-table/id/$<vrf>/protocol/IPV4'] },
  // A service's DNAT44 needs the NAT44 plugin's global settings.
  { key: '^config/vpp/nat/v2/dnat44/', dependsOn: ['config/vpp/nat/v2/nat44-global/settings'] },
];
