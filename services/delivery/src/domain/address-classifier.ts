import { BlockList, isIP } from 'node:net';

/**
 * Addresses a tenant's destination must never reach: this host, the cluster's networks, cloud metadata
 * (169.254.169.254 is inside link-local), carrier-grade NAT, multicast and reserved ranges, and IPv6 forms
 * that embed an IPv4 address (mapped, NAT64, 6to4), which could smuggle an internal one past an IPv4 check.
 */
// Two lists: a BlockList checks an IPv4 address against IPv6 rules too (as ::ffff:a.b.c.d), so one list with
// ::ffff:0:0/96 in it would refuse every IPv4 address.
const INTERNAL_V4 = new BlockList();
const INTERNAL_V6 = new BlockList();
const V4: Array<[string, number]> = [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24],
  ['224.0.0.0', 4], ['240.0.0.0', 4],
];
const V6: Array<[string, number]> = [
  ['::', 128], ['::1', 128], ['::ffff:0:0', 96], ['::', 96], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['100::', 64],
  ['2001:db8::', 32], ['2002::', 16], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
];
for (const [net, prefix] of V4) INTERNAL_V4.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of V6) INTERNAL_V6.addSubnet(net, prefix, 'ipv6');

/**
 * The dotted IPv4 address a host string means to inet_aton (and so to many resolvers and clients), or null:
 * decimal `2130706433`, hex `0x7f000001`, octal `0177.0.0.1`, and short forms `127.1` all mean 127.0.0.1.
 */
export function legacyIPv4(host: string): string | null {
  const parts = host.split('.');
  if (parts.length < 1 || parts.length > 4) return null;
  const nums: number[] = [];
  for (const part of parts) {
    let n: number;
    if (/^0x[0-9a-f]*$/i.test(part)) n = part.length === 2 ? 0 : parseInt(part.slice(2), 16);
    else if (/^0[0-7]+$/.test(part)) n = parseInt(part, 8);
    else if (/^(0|[1-9][0-9]*)$/.test(part)) n = Number(part);
    else return null;
    nums.push(n);
  }
  const last = nums.pop()!;
  if (nums.some((n) => n > 255) || last >= 256 ** (4 - nums.length)) return null;
  let value = last;
  nums.forEach((n, i) => { value += n * 256 ** (3 - i); });
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** The literal IP address a host string denotes, in canonical form, or null when it is a name. */
export function literalAddress(host: string): { address: string; family: 4 | 6 } | null {
  const bare = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  const family = isIP(bare);
  if (family === 6) return { address: bare.replace(/%.*$/, ''), family: 6 };
  if (family === 4) return { address: bare, family: 4 };
  const v4 = legacyIPv4(bare);
  return v4 ? { address: v4, family: 4 } : null;
}

/** Whether an address (as a resolver returns it) is one a destination must not reach. */
export function isInternalAddress(address: string): boolean {
  const literal = literalAddress(address);
  if (!literal) return true;
  return literal.family === 4 ? INTERNAL_V4.check(literal.address, 'ipv4') : INTERNAL_V6.check(literal.address, 'ipv6');
}
