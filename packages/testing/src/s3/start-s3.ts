import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChildServer } from '../servers/child-server.js';
import { firstAvailable, ServerUnavailableError, type Started } from '../servers/started.js';
import { probeS3 } from './probe.js';

export type S3Info = { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string; source: string };

export const HOW_TO_PROVIDE_S3 =
  'Provide an S3-compatible server in one of these ways: set S3_ENDPOINT=http://host:port with S3_ACCESS_KEY_ID and ' +
  'S3_SECRET_ACCESS_KEY (S3_REGION defaults to us-east-1; the keys may create buckets); or install Java 17+ and Maven ' +
  '(Debian: apt-get install -y default-jre-headless maven) so that `node scripts/s3/server.mjs start` can run ' +
  'S3Proxy from Maven Central.';

/** scripts/s3/server.mjs of this repository, found by walking up from this file (src or dist alike). */
function serverScript(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'scripts', 's3', 'server.mjs');
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('scripts/s3/server.mjs not found above packages/testing');
    dir = parent;
  }
}

async function startLocalS3Proxy(): Promise<Started<S3Info>> {
  const server = await startChildServer<Omit<S3Info, 'source'> & { version: string }>(
    'the local S3Proxy',
    serverScript(),
    ['start', '--json', '--until-stdin-closes'],
  );
  const { endpoint, region, accessKeyId, secretAccessKey, version } = server.info;
  return { info: { endpoint, region, accessKeyId, secretAccessKey, source: `S3Proxy ${version} on the local JVM` }, stop: server.stop };
}

/**
 * S3_ENDPOINT if set (and then only it: a configured server that does not answer is an error), else S3Proxy
 * from Maven Central on the local JVM.
 */
export async function startS3(deps: { log(line: string): void }): Promise<Started<S3Info>> {
  const endpoint = process.env.S3_ENDPOINT?.trim();
  if (endpoint) {
    const info: S3Info = {
      endpoint,
      region: process.env.S3_REGION || 'us-east-1',
      accessKeyId: process.env.S3_ACCESS_KEY_ID ?? '',
      secretAccessKey: process.env.S3_SECRET_ACCESS_KEY ?? '',
      source: 'S3_ENDPOINT',
    };
    await probeS3(info).catch((err: Error) => {
      throw new ServerUnavailableError(`Cannot use S3_ENDPOINT=${endpoint}: ${err.message}\n${HOW_TO_PROVIDE_S3}`);
    });
    return { info, stop: async () => undefined };
  }
  return firstAvailable<S3Info>(
    'S3-compatible server',
    [{ name: 'local JVM (scripts/s3/server.mjs)', start: startLocalS3Proxy }],
    `S3_ENDPOINT is not set. ${HOW_TO_PROVIDE_S3}`,
    deps.log,
  );
}
