import { isInternalAddress, literalAddress } from './address-classifier.js';

/**
 * Which hosts a destination may name, judged when its config is saved. Only literal addresses (in any
 * spelling) and `localhost` can be judged then; a name that resolves to an internal address is refused
 * again at connect time (transports/connect-guard.ts), since DNS can change after validation.
 */
export function createHostPolicy(opts: { production: boolean; devAllowedHosts: string[] }) {
  const devAllowed = new Set(opts.production ? [] : opts.devAllowedHosts.map((h) => h.toLowerCase()));
  const bare = (host: string) => host.toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  return {
    /** Plain http (no TLS) is for local development against hosts the operator listed. */
    allowsPlainHttp: (host: string) => devAllowed.has(bare(host)),
    /** Hosts the operator listed for development and tests: checked neither here nor at connect time. */
    isDevAllowed: (host: string) => devAllowed.has(bare(host)),
    allowsHost(host: string): boolean {
      const h = bare(host);
      if (devAllowed.has(h)) return true;
      if (h === 'localhost' || h.endsWith('.localhost')) return false;
      const literal = literalAddress(h);
      return literal ? !isInternalAddress(literal.address) : true;
    },
  };
}
export type HostPolicy = ReturnType<typeof createHostPolicy>;
