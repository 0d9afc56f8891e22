import { describe, expect, it } from 'vitest';
import { createConfigParser } from '../src/domain/configs.js';
import { createHostPolicy } from '../src/domain/host-policy.js';

const prod = createConfigParser(createHostPolicy({ production: true, devAllowedHosts: ['localhost'] }));
const dev = createConfigParser(createHostPolicy({ production: false, devAllowedHosts: ['localhost', 'minio'] }));
const FINGERPRINT = 'SHA256:' + 'b'.repeat(43);
const sftp = { host: 'sftp.example.com', username: 'acme', hostKeySha256: FINGERPRINT, directory: '/in' };

const pathOf = (fn: () => unknown) => {
  try { fn(); } catch (err) { return (err as { details: { path: string } }).details.path; }
  throw new Error('expected a BAD_USER_INPUT');
};

describe('destination configs', () => {
  it('splits secret fields off and fills defaults', () => {
    expect(prod('SFTP', { ...sftp, privateKey: 'KEY' })).toEqual({ config: { ...sftp, port: 22 }, secrets: { privateKey: 'KEY' } });
    expect(prod('S3', { bucket: 'b-1', region: 'us-east-1', accessKeyId: 'AK', secretAccessKey: 'SK' }))
      .toEqual({ config: { bucket: 'b-1', prefix: '', region: 'us-east-1', accessKeyId: 'AK' }, secrets: { secretAccessKey: 'SK' } });
  });

  it('allows plain http and local hosts only for listed hosts outside production', () => {
    expect(pathOf(() => prod('WEBHOOK', { url: 'http://localhost:8080/hook' }))).toBe('config.url');
    expect(pathOf(() => dev('WEBHOOK', { url: 'http://example.com/hook' }))).toBe('config.url');
    expect(dev('WEBHOOK', { url: 'http://localhost:8080/hook' }).config).toEqual({ url: 'http://localhost:8080/hook' });
    expect(dev('S3', { bucket: 'b-1', region: 'us-east-1', endpoint: 'http://minio:9000', accessKeyId: 'a', secretAccessKey: 'b' }).config)
      .toMatchObject({ endpoint: 'http://minio:9000' });
  });

  it('refuses internal addresses whatever the scheme', () => {
    for (const host of ['127.0.0.1', '10.1.2.3', '192.168.0.10', '[::1]', '[fd00::1]', 'metadata.localhost']) {
      expect(pathOf(() => prod('WEBHOOK', { url: `https://${host}/x` })), host).toBe('config.url');
    }
    expect(pathOf(() => prod('FTP', { host: '169.254.169.254', username: 'u', password: 'p', tls: 'EXPLICIT', directory: '/' }))).toBe('config.host');
  });

  it('requires exactly one of password and private key for SFTP', () => {
    expect(pathOf(() => prod('SFTP', sftp))).toBe('config.password');
    expect(pathOf(() => prod('SFTP', { ...sftp, password: 'p', privateKey: 'k' }))).toBe('config.password');
  });

  it('keeps stored secrets on update, and lets one SFTP credential replace the other', () => {
    expect(prod('SFTP', { ...sftp, privateKey: 'NEW' }, { password: 'OLD' }).secrets).toEqual({ privateKey: 'NEW' });
    expect(prod('SFTP', { ...sftp, password: '********' }, { password: 'OLD' }).secrets).toEqual({ password: 'OLD' });
    expect(prod('WEBHOOK', { url: 'https://x.example.com' }, { secret: 'kept-secret-value!' }).secrets).toEqual({ secret: 'kept-secret-value!' });
  });

  it('refuses header injection in an email subject and path traversal in directories', () => {
    expect(pathOf(() => prod('EMAIL', { to: ['a@example.com'], subject: 'Hi\r\nBcc: x@evil.example' }))).toBe('config.subject');
    expect(pathOf(() => prod('SFTP', { ...sftp, password: 'p', directory: '/in/../../etc' }))).toBe('config.directory');
  });

  it('says what is wrong in plain words, by zod\'s issue code, with the field\'s path in extensions', () => {
    const ftp = { host: 'ftp.example.com', username: 'u', password: 'p', tls: 'EXPLICIT', directory: '/' };
    const refusal = (fn: () => unknown) => {
      try { fn(); } catch (err) { return { message: (err as Error).message, path: (err as { details: { path: string } }).details.path }; }
      throw new Error('expected a BAD_USER_INPUT');
    };
    const cases: Array<[() => unknown, string, string]> = [
      [() => prod('WEBHOOK', {}), 'Invalid WEBHOOK config: config.url is required', 'config.url'],
      [() => prod('FTP', { ...ftp, port: '21' }), 'Invalid FTP config: config.port must be a number', 'config.port'],
      [() => prod('FTP', { ...ftp, port: 21.5 }), 'Invalid FTP config: config.port must be a whole number', 'config.port'],
      [() => prod('FTP', { ...ftp, port: 70000 }), 'Invalid FTP config: config.port must be at most 65535', 'config.port'],
      [() => prod('FTP', { ...ftp, tls: 'SOMETIMES' }), 'Invalid FTP config: config.tls must be one of NONE, EXPLICIT, IMPLICIT', 'config.tls'],
      [() => prod('FTP', { ...ftp, username: '   ' }), 'Invalid FTP config: config.username must not be empty', 'config.username'],
      [() => prod('EMAIL', { to: [], subject: 'Hi' }), 'Invalid EMAIL config: config.to must have at least 1 item', 'config.to'],
      [() => prod('EMAIL', { to: ['not-an-email'], subject: 'Hi' }), 'Invalid EMAIL config: config.to.0 must be an email address', 'config.to.0'],
      [() => prod('EMAIL', { to: ['a@example.com'], subject: 'Hi', attach: 'yes' }), 'Invalid EMAIL config: config.attach must be true or false', 'config.attach'],
      [() => prod('WEBHOOK', { url: 'https://ok.example.com', pasword: 'typo' }), 'Invalid WEBHOOK config: config has an unknown field "pasword"', 'config'],
      // A message the schema gives is kept as written.
      [() => prod('WEBHOOK', { url: 'https://ok.example.com', secret: 'short' }), 'Invalid WEBHOOK config: config.secret must have at least 16 characters', 'config.secret'],
    ];
    for (const [fn, message, path] of cases) expect(refusal(fn)).toEqual({ message, path });
  });
});
