import { InvalidNetworkOptionsError } from './errors';

/** An IPv4 subnet as numbers: `network` is the address with the host bits cleared. */
export interface Ipv4Subnet {
  readonly network: number;
  readonly prefix: number;
}

export function parseIpv4(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new InvalidNetworkOptionsError(`"${text}" is not an IPv4 address`);
  }
  // >>> 0 keeps the result an unsigned 32-bit number (bitwise operators work on signed ints).
  return parts.reduce((acc, p) => ((acc << 8) | Number(p)) >>> 0, 0);
}

export function formatIpv4(address: number): string {
  return [24, 16, 8, 0].map((shift) => (address >>> shift) & 0xff).join('.');
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function parseCidr(text: string): Ipv4Subnet {
  const match = /^([^/]+)\/(\d{1,2})$/.exec(text);
  const prefix = match ? Number(match[2]) : NaN;
  if (!match || prefix > 32) throw new InvalidNetworkOptionsError(`"${text}" is not an IPv4 CIDR (a.b.c.d/n)`);
  return { network: (parseIpv4(match[1] ?? '') & mask(prefix)) >>> 0, prefix };
}

export function formatCidr(subnet: Ipv4Subnet): string {
  return `${formatIpv4(subnet.network)}/${subnet.prefix}`;
}

export function contains(subnet: Ipv4Subnet, address: number): boolean {
  return ((address & mask(subnet.prefix)) >>> 0) === subnet.network;
}

/** The last address of the subnet (its broadcast address). */
export function lastAddress(subnet: Ipv4Subnet): number {
  return (subnet.network | ~mask(subnet.prefix)) >>> 0;
}

/** The `index`-th subnet of length `prefix` inside `parent` (index taken modulo their number). */
export function carveSubnet(parent: Ipv4Subnet, prefix: number, index: number): Ipv4Subnet {
  if (prefix <= parent.prefix || prefix > 30) {
    throw new InvalidNetworkOptionsError(`node subnet prefix /${prefix} must be longer than /${parent.prefix} and at most /30`);
  }
  const count = 2 ** (prefix - parent.prefix);
  const offset = ((index % count) + count) % count;
  return { network: (parent.network + offset * 2 ** (32 - prefix)) >>> 0, prefix };
}
