import { createHash } from 'node:crypto';
import SftpClient from 'ssh2-sftp-client';
import type { Resolve } from './connect-guard.js';
import { TransportError } from './errors.js';
import { uploadPaths } from './file-servers.js';
import type { OpenDestination, Transport } from './types.js';

/** `SHA256:abc…` as `ssh-keygen -lf` prints it, or the bare base64, with or without padding. */
const normalizeFingerprint = (f: string) => f.trim().replace(/^SHA256:/, '').replace(/=+$/, '');

export function hostKeyFingerprint(key: Buffer): string {
  return createHash('sha256').update(key).digest('base64').replace(/=+$/, '');
}

export function createSftpTransport(deps: { resolve: Resolve; timeoutMs: number }): Transport {
  async function connect(destination: OpenDestination): Promise<SftpClient> {
    const { config, secrets } = destination;
    const target = await deps.resolve(String(config.host));
    const expected = normalizeFingerprint(String(config.hostKeySha256));
    let seen: string | undefined;
    const client = new SftpClient();
    try {
      await client.connect({
        host: target.address, port: Number(config.port ?? 22), username: String(config.username),
        ...(secrets.privateKey ? { privateKey: secrets.privateKey } : { password: secrets.password }),
        readyTimeout: deps.timeoutMs,
        // The pinned key is the only trust: a server presenting any other key is refused before authenticating.
        hostVerifier: (key: Buffer) => { seen = hostKeyFingerprint(key); return seen === expected; },
      });
    } catch (err) {
      await client.end().catch(() => {});
      const message = (err as Error).message;
      if (seen !== undefined && seen !== expected) {
        throw new TransportError('HOST_KEY', `${config.host} presented host key SHA256:${seen}, not the pinned SHA256:${expected}`, { permanent: true });
      }
      if (/authentication/i.test(message)) throw new TransportError('AUTH', `${config.host}: authentication failed for ${config.username}`);
      if (/ECONNREFUSED/.test(message)) throw new TransportError('CONNECT', `${config.host}:${config.port ?? 22}: connection refused`);
      if (/timed out|timeout/i.test(message)) throw new TransportError('TIMEOUT', `${config.host}:${config.port ?? 22}: no SSH handshake within ${deps.timeoutMs} ms`);
      throw new TransportError('CONNECT', `${config.host}: ${message.replace(/^connect: /, '')}`);
    }
    return client;
  }

  async function inDirectory<T>(destination: OpenDestination, work: (client: SftpClient, dir: string) => Promise<T>): Promise<T> {
    const client = await connect(destination);
    try {
      const dir = String(destination.config.directory);
      const kind = await client.exists(dir).catch(() => false);
      if (kind !== 'd') throw new TransportError('REMOTE', `${dir} is not a directory on ${destination.config.host}`);
      return await work(client, dir);
    } finally {
      await client.end().catch(() => {});
    }
  }

  return {
    send: (destination, shipment) => inDirectory(destination, async (client, dir) => {
      const paths = uploadPaths(dir, shipment.fileName, shipment.deliveryId);
      try {
        await client.put(await shipment.open(), paths.temp);
        // posix-rename (an OpenSSH extension) replaces an existing file atomically; plain SFTP rename refuses to.
        await client.posixRename(paths.temp, paths.final);
      } catch (err) {
        await client.delete(paths.temp, true).catch(() => {});
        if (err instanceof TransportError) throw err;
        throw new TransportError('REMOTE', `upload to ${paths.final} failed: ${(err as Error).message}`);
      }
    }),
    probe: (destination) => inDirectory(destination, async () => {}),
  };
}
