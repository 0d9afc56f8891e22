import { BlockList, isIP } from 'node:net';

/** Addresses a tenant's destination must not name: this host, the cluster's network, cloud metadata. */
const INTERNAL = new BlockList();
for (const [net, prefix] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.168.0.0', 16]] as const) {
  INTERNAL.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [['::', 128], ['::1', 128], ['::ffff:0:0', 96], ['fc00::', 7], ['fe80::', 10]] as const) {
  INTERNAL.addSubnet(net, prefix, 'ipv6');
}

/**
 * Which hosts a destination may name. Only literal addresses and `localhost` can be judged when the config
 * is saved; a name that resolves to an internal address must be refused again by the delivery worker at
 * connect time, since DNS can change after validation.
 */
export function createHostPolicy(opts: { production: boolean; devAllowedHosts: string[] }) {
  const devAllowed = new Set(opts.production ? [] : opts.devAllowedHosts.map((h) => h.toLowerCase()));
  const bare = (host: string) => host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return {
    /** Plain http (no TLS) is for local development against hosts the operator listed. */
    allowsPlainHttp: (host: string) => devAllowed.has(bare(host)),
    allowsHost(host: string): boolean {
      const h = bare(host);
      if (devAllowed.has(h)) return true;
      if (h === 'localhost' || h.endsWith('.localhost')) return false;
      const family = isIP(h);
      if (family === 4) return !INTERNAL.check(h, 'ipv4');
      if (family === 6) return !INTERNAL.check(h, 'ipv6');
      return true;
    },
  };
}
export type HostPolicy = ReturnType<typeof createHostPolicy>;
