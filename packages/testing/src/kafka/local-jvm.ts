import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Started } from '../servers/started.js';
import type { KafkaInfo } from './start-kafka.js';

/** scripts/kafka/broker.mjs of this repository, found by walking up from this file (src or dist alike). */
function brokerScript(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'scripts', 'kafka', 'broker.mjs');
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('scripts/kafka/broker.mjs not found above packages/testing');
    dir = parent;
  }
}

/**
 * The Apache Kafka broker from its Maven Central jars on the local JVM, run by scripts/kafka/broker.mjs.
 * The script stops the broker when its stdin closes, so the broker ends with this process however this
 * process ends.
 */
export async function startLocalBroker(): Promise<Started<KafkaInfo>> {
  const child = spawn(process.execPath, [brokerScript(), 'start', '--json', '--until-stdin-closes'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-6_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const line = await new Promise<string | undefined>((resolve) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', () => resolve(undefined));
  });
  if (!line) throw new Error(`the local Kafka broker did not start:\n${stderr.trim()}`);
  const { brokers, version } = JSON.parse(line) as { brokers: string[]; version: string };
  return {
    info: { brokers, source: `Apache Kafka ${version} on the local JVM` },
    stop: async () => {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
