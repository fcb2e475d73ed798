import { InvalidNetworkOptionsError } from './errors';
import { flatString } from './flatString';

/** An IPv4 subnet as numbers: `network` is the address with the host bits cleared. */
export interface Ipv4Subnet {
  readonly network: number;
  readonly prefix: number;
}

/** The address as an unsigned 32-bit number; four decimal octets or an error. */
export function parseIpv4(text: string): number {
  // By character: this runs for every pod of a resync, and split/test/reduce allocate per call.
  let address = 0;
  let octets = 0;
  let octet = -1;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const code = i < text.length ? text.charCodeAt(i) : 46; // a final '.' ends the last octet
    if (code >= 48 && code <= 57 && digits < 3) {
      octet = (octet < 0 ? 0 : octet * 10) + code - 48;
      digits += 1;
    } else if (code === 46 && octet >= 0 && octet <= 255 && octets < 4) {
      // >>> 0 keeps the result an unsigned 32-bit number (bitwise operators work on signed ints).
      address = ((address << 8) | octet) >>> 0;
      octets += 1;
      octet = -1;
      digits = 0;
    } else {
      octets = -1;
      break;
    }
  }
  if (octets !== 4) throw new InvalidNetworkOptionsError(`"${text}" is not an IPv4 address`);
  return address;
}

export function formatIpv4(address: number): string {
  return flatString(address >>> 24, '.', (address >>> 16) & 0xff, '.', (address >>> 8) & 0xff, '.', address & 0xff);
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
