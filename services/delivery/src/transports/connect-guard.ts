import { lookup } from 'node:dns/promises';
import { isInternalAddress, literalAddress } from '../domain/address-classifier.js';
import type { HostPolicy } from '../domain/host-policy.js';
import { TransportError } from './errors.js';

export type ResolvedTarget = { host: string; address: string; family: 4 | 6 };
export type Resolve = (host: string) => Promise<ResolvedTarget>;

/**
 * Resolves a destination's host once, refuses it if any address it resolves to is internal, and returns the
 * one address the transport must connect to. Connecting to that exact address (never to the name again)
 * is what defeats DNS rebinding: a second lookup could answer 127.0.0.1 after the first answered a public
 * address. Hosts on the operator's development allow-list are resolved but not checked.
 */
export function createResolver(policy: HostPolicy, resolveName: typeof lookup = lookup): Resolve {
  return async (rawHost) => {
    const host = rawHost.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
    const allowed = policy.isDevAllowed(host);
    const literal = literalAddress(host);
    let addresses: Array<{ address: string; family: number }>;
    if (literal) addresses = [literal];
    else {
      try {
        addresses = await resolveName(host, { all: true, verbatim: true });
      } catch (err) {
        throw new TransportError('DNS', `Could not resolve ${host}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    }
    if (!addresses.length) throw new TransportError('DNS', `${host} has no address`);
    if (!allowed) {
      const internal = addresses.find((a) => isInternalAddress(a.address));
      if (internal) {
        throw new TransportError('SSRF', `Refused to connect to ${host}: it resolves to ${internal.address}, a loopback, private, link-local or reserved address`, { permanent: true });
      }
    }
    const first = addresses[0]!;
    return { host, address: first.address, family: first.family === 6 ? 6 : 4 };
  };
}
