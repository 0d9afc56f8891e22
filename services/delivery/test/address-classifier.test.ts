import { describe, expect, it } from 'vitest';
import { isInternalAddress, legacyIPv4, literalAddress } from '../src/domain/address-classifier.js';
import { createHostPolicy } from '../src/domain/host-policy.js';
import { createResolver } from '../src/transports/connect-guard.js';
import { TransportError } from '../src/transports/errors.js';

describe('the address classifier', () => {
  it.each([
    '127.0.0.1', '127.255.255.254', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.0.10', '169.254.169.254', '169.254.0.1',
    '100.64.0.1', '0.0.0.0', '224.0.0.1', '255.255.255.255', '::1', '::', 'fe80::1', 'fc00::1', 'fd12:3456::1', '::ffff:127.0.0.1',
    '::ffff:10.0.0.1', '::ffff:7f00:1', '64:ff9b::7f00:1', '2002:7f00:1::', 'ff02::1', '[::1]',
  ])('refuses %s', (address) => {
    expect(isInternalAddress(address)).toBe(true);
  });

  it.each(['93.184.216.34', '8.8.8.8', '172.32.0.1', '192.169.0.1', '2606:4700:4700::1111'])('accepts the public address %s', (address) => {
    expect(isInternalAddress(address)).toBe(false);
  });

  it('reads the decimal, hex, octal and short spellings of IPv4 the way inet_aton does', () => {
    expect(legacyIPv4('2130706433')).toBe('127.0.0.1');
    expect(legacyIPv4('0x7f000001')).toBe('127.0.0.1');
    expect(legacyIPv4('0x7f.0.0.1')).toBe('127.0.0.1');
    expect(legacyIPv4('0177.0.0.1')).toBe('127.0.0.1');
    expect(legacyIPv4('017700000001')).toBe('127.0.0.1');
    expect(legacyIPv4('127.1')).toBe('127.0.0.1');
    expect(legacyIPv4('10.1.258')).toBe('10.1.1.2');
    expect(legacyIPv4('2852039166')).toBe('169.254.169.254');
    expect(legacyIPv4('example.com')).toBeNull();
    expect(legacyIPv4('1.2.3.4.5')).toBeNull();
    expect(legacyIPv4('4294967296')).toBeNull();
    expect(legacyIPv4('08.0.0.1')).toBeNull();
  });

  it('treats a name as not literal, and a trailing dot or brackets as the same address', () => {
    expect(literalAddress('files.example.com')).toBeNull();
    expect(literalAddress('127.0.0.1.')).toEqual({ address: '127.0.0.1', family: 4 });
    expect(literalAddress('[::1]')).toEqual({ address: '::1', family: 6 });
  });
});

describe('the host policy applied when a destination is saved', () => {
  const policy = createHostPolicy({ production: true, devAllowedHosts: ['localhost'] });

  it('refuses literal internal addresses in every spelling, and localhost', () => {
    for (const host of ['127.0.0.1', '2130706433', '0x7f000001', '0177.0.0.1', '127.1', '[::ffff:127.0.0.1]', '169.254.169.254', 'localhost', 'localhost.', 'a.localhost']) {
      expect(policy.allowsHost(host), host).toBe(false);
    }
    expect(policy.allowsHost('files.example.com')).toBe(true);
  });

  it('ignores the development allow-list in production', () => {
    expect(policy.isDevAllowed('localhost')).toBe(false);
    expect(createHostPolicy({ production: false, devAllowedHosts: ['localhost'] }).allowsHost('localhost')).toBe(true);
  });
});

describe('the connect-time resolver', () => {
  const policy = createHostPolicy({ production: true, devAllowedHosts: [] });
  const answering = (...answers: Array<Array<{ address: string; family: number }>>) => {
    let call = 0;
    return (async () => answers[Math.min(call++, answers.length - 1)]) as never;
  };

  it('returns the checked address, which the transports connect to instead of the name', async () => {
    const resolve = createResolver(policy, answering([{ address: '93.184.216.34', family: 4 }], [{ address: '127.0.0.1', family: 4 }]));
    expect(await resolve('rebinding.example')).toEqual({ host: 'rebinding.example', address: '93.184.216.34', family: 4 });
  });

  it('refuses a name when any address it resolves to is internal', async () => {
    const resolve = createResolver(policy, answering([{ address: '93.184.216.34', family: 4 }, { address: '10.0.0.5', family: 4 }]));
    const err = await resolve('mixed.example').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect(err).toMatchObject({ stage: 'SSRF', permanent: true, message: expect.stringContaining('10.0.0.5') });
  });

  it('refuses literal spellings without asking DNS', async () => {
    const resolve = createResolver(policy, (async () => { throw new Error('DNS must not be asked'); }) as never);
    await expect(resolve('2130706433')).rejects.toMatchObject({ stage: 'SSRF' });
    await expect(resolve('[::ffff:169.254.169.254]')).rejects.toMatchObject({ stage: 'SSRF' });
  });

  it('lets the operator\'s development hosts through outside production only', async () => {
    const dev = createHostPolicy({ production: false, devAllowedHosts: ['localhost'] });
    const resolve = createResolver(dev, answering([{ address: '127.0.0.1', family: 4 }]));
    expect((await resolve('localhost')).address).toBe('127.0.0.1');
  });

  it('reports a name that does not resolve as a DNS failure', async () => {
    const resolve = createResolver(policy, (async () => { throw Object.assign(new Error('nope'), { code: 'ENOTFOUND' }); }) as never);
    await expect(resolve('missing.example')).rejects.toMatchObject({ stage: 'DNS', message: 'Could not resolve missing.example: ENOTFOUND' });
  });
});
