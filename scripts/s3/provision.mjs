// Resolves S3Proxy (org.gaul:s3proxy, its self-contained jar-with-dependencies) from Maven Central into the
// Maven cache and a per-version cache folder, once.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { cacheDir, findJava as findJavaFor, publishScratch, requireTool } from '../jvm-cache.mjs';

/** The one place the S3Proxy version is set. */
export const S3PROXY_VERSION = '2.6.0';
const ARTIFACT = `org.gaul:s3proxy:${S3PROXY_VERSION}:jar:jar-with-dependencies`;

export const HOW_TO_PROVIDE_S3 =
  'Provide an S3-compatible server in one of these ways: set S3_ENDPOINT=http://host:port (with S3_ACCESS_KEY_ID, ' +
  'S3_SECRET_ACCESS_KEY and optionally S3_REGION) to use a running one; or install Java 17+ and Maven ' +
  '(Debian: apt-get install -y default-jre-headless maven) and run `node scripts/s3/server.mjs provision`, ' +
  `which fetches S3Proxy ${S3PROXY_VERSION} from Maven Central.`;

export function jarPath(version = S3PROXY_VERSION) {
  return path.join(cacheDir(`s3proxy-${version}`), `s3proxy-${version}-jar-with-dependencies.jar`);
}

/** Returns the S3Proxy jar, downloading it first if it is not cached yet. */
export function provision({ log = () => {} } = {}) {
  const jar = jarPath();
  if (existsSync(jar)) return jar;
  requireTool('mvn', ['-v'], 'Maven', HOW_TO_PROVIDE_S3);
  log(`downloading S3Proxy ${S3PROXY_VERSION} from Maven Central into ${path.dirname(jar)}`);
  // Copied into a scratch folder and renamed: a half-finished download is never taken for a cache hit.
  const scratch = `${path.dirname(jar)}.partial-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(path.dirname(path.dirname(jar)), { recursive: true });
  const mvn = spawnSync(
    'mvn',
    ['-q', '-B', 'dependency:copy', `-Dartifact=${ARTIFACT}`, `-DoutputDirectory=${scratch}`],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], cwd: path.dirname(scratch) },
  );
  const fetched = existsSync(scratch) ? readdirSync(scratch).find((f) => f.endsWith('.jar')) : undefined;
  if (mvn.status !== 0 || !fetched) {
    rmSync(scratch, { recursive: true, force: true });
    throw new Error(`mvn could not resolve ${ARTIFACT}:\n${mvn.stdout}${mvn.stderr}\n${HOW_TO_PROVIDE_S3}`);
  }
  if (fetched !== path.basename(jar)) copyFileSync(path.join(scratch, fetched), path.join(scratch, path.basename(jar)));
  publishScratch(scratch, path.dirname(jar), () => existsSync(jar));
  return jar;
}

/** The java binary to run S3Proxy with: $JAVA_HOME/bin/java, else the one on PATH. */
export const findJava = () => findJavaFor(HOW_TO_PROVIDE_S3);
