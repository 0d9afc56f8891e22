import { inject } from 'vitest';
import { PROVIDED_KEY, type ProvidedServers } from './provided.js';
import { ServerUnavailableError } from './servers/started.js';

export type PostgresServer = { adminUrl: string; source: string };
export type KafkaServer = { brokers: string[]; source: string };
export type S3Server = { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string; source: string };

export function provided(): ProvidedServers {
  const servers = inject(PROVIDED_KEY) as ProvidedServers | undefined;
  if (!servers) {
    throw new Error(
      '@rowline/testing has no test servers: add "packages/testing/src/global-setup.ts" to test.globalSetup in vitest.config.ts',
    );
  }
  return servers;
}

async function ask<T>(server: 'postgres' | 'kafka' | 's3'): Promise<T> {
  const res = await fetch(`${provided().controlUrl}/${server}`);
  const body = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new ServerUnavailableError(body.error ?? `no ${server} server`);
  return body;
}

/** The run's PostgreSQL server, started on first use. Prefer `createTestDatabase`: tests get their own database. */
export function postgresServer(): Promise<PostgresServer> {
  return ask('postgres');
}

/** The run's Kafka broker, started on first use. Isolate a file's topics with a unique topic prefix. */
export function kafkaServer(): Promise<KafkaServer> {
  return ask('kafka');
}

/** The run's S3-compatible server, started on first use. Prefer `createTestBucket`: tests get their own bucket. */
export function s3Server(): Promise<S3Server> {
  return ask('s3');
}
