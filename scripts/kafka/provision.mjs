// Resolves the Apache Kafka broker's jars from Maven Central into a per-version cache folder, once.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDir, findJava as findJavaFor, publishScratch, requireTool } from '../jvm-cache.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const POM = path.join(here, 'pom.xml');

export const HOW_TO_PROVIDE_KAFKA =
  'Provide a Kafka broker in one of these ways: set KAFKA_BROKERS=host:port[,host:port] to use a running broker; ' +
  'or run a Docker engine (testcontainers then starts one); or install Java 17+ and Maven ' +
  '(Debian: apt-get install -y default-jre-headless maven) and run `node scripts/kafka/broker.mjs provision`.';

export function kafkaVersion() {
  const match = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(readFileSync(POM, 'utf8'));
  if (!match?.[1]) throw new Error(`no <kafka.version> in ${POM}`);
  return match[1];
}

export function libsDir(version = kafkaVersion()) {
  return path.join(cacheDir(`kafka-${version}`), 'libs');
}

/** Returns the folder holding the broker's classpath, downloading it first if it is not cached yet. */
export function provision({ log = () => {} } = {}) {
  const version = kafkaVersion();
  const libs = libsDir(version);
  if (existsSync(path.join(libs, `kafka_2.13-${version}.jar`))) return libs;
  requireTool('mvn', ['-v'], 'Maven', HOW_TO_PROVIDE_KAFKA);
  log(`downloading the Kafka ${version} broker from Maven Central into ${libs}`);
  // Resolved into a scratch folder and renamed: a half-finished download is never taken for a cache hit.
  const scratch = `${libs}.partial-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(path.dirname(libs), { recursive: true });
  const mvn = spawnSync(
    'mvn',
    ['-q', '-B', '-f', POM, 'dependency:copy-dependencies', `-DoutputDirectory=${scratch}`, '-DincludeScope=runtime'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (mvn.status !== 0) {
    rmSync(scratch, { recursive: true, force: true });
    throw new Error(`mvn could not resolve the Kafka ${version} broker:\n${mvn.stdout}${mvn.stderr}\n${HOW_TO_PROVIDE_KAFKA}`);
  }
  publishScratch(scratch, libs, () => existsSync(libs));
  return libs;
}

/** The java binary to run the broker with: $JAVA_HOME/bin/java, else the one on PATH. */
export const findJava = () => findJavaFor(HOW_TO_PROVIDE_KAFKA);
