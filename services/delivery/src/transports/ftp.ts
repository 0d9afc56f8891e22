import { Client, enterPassiveModeIPv6, FTPError } from 'basic-ftp';
import { rootCertificates } from 'node:tls';
import type { Resolve } from './connect-guard.js';
import { TransportError } from './errors.js';
import { uploadPaths } from './file-servers.js';
import type { OpenDestination, Transport } from './types.js';

export function createFtpTransport(deps: { resolve: Resolve; timeoutMs: number; extraCa?: string }): Transport {
  const ca = deps.extraCa ? [...rootCertificates, deps.extraCa] : undefined;

  async function connect(destination: OpenDestination): Promise<Client> {
    const { config, secrets } = destination;
    const target = await deps.resolve(String(config.host));
    const client = new Client(deps.timeoutMs);
    // EPSV only: the data connection goes to the control connection's (checked) address and only its port
    // comes from the server, so a PASV reply naming another host (an internal one) is never followed.
    client.prepareTransfer = enterPassiveModeIPv6;
    const tls = String(config.tls);
    try {
      await client.access({
        host: target.address, port: Number(config.port ?? 21), user: String(config.username), password: secrets.password,
        secure: tls === 'NONE' ? false : tls === 'IMPLICIT' ? 'implicit' : true,
        secureOptions: tls === 'NONE' ? undefined : { servername: target.host, host: target.host, ca },
      });
    } catch (err) {
      client.close();
      const e = err as NodeJS.ErrnoException;
      if (err instanceof FTPError && err.code === 530) throw new TransportError('AUTH', `${config.host}: login failed for ${config.username}`);
      if (e.code === 'ECONNREFUSED') throw new TransportError('CONNECT', `${config.host}:${config.port ?? 21}: connection refused`);
      if (/CERT|SSL|TLS|self.signed|altnames/i.test(`${e.code} ${e.message}`)) throw new TransportError('TLS', `${config.host}: ${e.message}`);
      if (/timeout/i.test(e.message)) throw new TransportError('TIMEOUT', `${config.host}: no answer within ${deps.timeoutMs} ms`);
      throw new TransportError('CONNECT', `${config.host}: ${e.message}`);
    }
    return client;
  }

  async function inDirectory(destination: OpenDestination, work: (client: Client, dir: string) => Promise<void>) {
    const client = await connect(destination);
    try {
      const dir = String(destination.config.directory);
      try {
        await client.cd(dir);
      } catch (err) {
        throw new TransportError('REMOTE', `${dir} is not a directory on ${destination.config.host}: ${(err as Error).message}`);
      }
      await work(client, dir);
    } finally {
      client.close();
    }
  }

  return {
    send: (destination, shipment) => inDirectory(destination, async (client, dir) => {
      const paths = uploadPaths(dir, shipment.fileName, shipment.deliveryId);
      try {
        await client.uploadFrom(await shipment.open(), paths.temp);
        await client.rename(paths.temp, paths.final);
      } catch (err) {
        await client.remove(paths.temp, true).catch(() => {});
        throw new TransportError('REMOTE', `upload to ${paths.final} failed: ${(err as Error).message}`);
      }
    }),
    probe: (destination) => inDirectory(destination, async () => {}),
  };
}
