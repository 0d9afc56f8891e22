import { startKafka, type KafkaInfo } from '../kafka/start-kafka.js';
import { startPostgres, type PostgresInfo } from '../postgres/start-postgres.js';
import { startS3, type S3Info } from '../s3/start-s3.js';
import { dockerEngineAnswers } from './docker.js';
import type { Started } from './started.js';

export type ServerPool = {
  postgres(): Promise<PostgresInfo>;
  kafka(): Promise<KafkaInfo>;
  s3(): Promise<S3Info>;
  stop(): Promise<void>;
};

/**
 * The servers of one test run, each started the first time a test file asks for it and never again: a run
 * whose files need no Kafka never starts a broker. A failure is remembered too, so every file that asks
 * gets the same explanation at once instead of each one trying again.
 */
export function createServerPool(deps: { runId: string; log(line: string): void }): ServerPool {
  let docker: Promise<boolean> | undefined;
  const dockerAnswers = () => (docker ??= dockerEngineAnswers());
  const started: Array<Promise<Started<unknown>>> = [];

  function once<T extends { source: string }>(what: string, start: () => Promise<Started<T>>): () => Promise<T> {
    let server: Promise<Started<T>> | undefined;
    return () => {
      if (!server) {
        const since = Date.now();
        server = start();
        started.push(server);
        server.then(
          ({ info }) => deps.log(`${what} ready in ${((Date.now() - since) / 1000).toFixed(1)}s (${info.source})`),
          () => undefined,
        );
      }
      return server.then((s) => s.info);
    };
  }

  return {
    postgres: once('PostgreSQL', () => startPostgres({ runId: deps.runId, dockerAnswers, log: deps.log })),
    kafka: once('Kafka', () => startKafka({ dockerAnswers, log: deps.log })),
    s3: once('S3', () => startS3({ log: deps.log })),
    async stop() {
      const servers = await Promise.allSettled(started);
      await Promise.all(
        servers.map(async (s) => {
          if (s.status === 'fulfilled') await s.value.stop().catch((err: Error) => deps.log(`stopping a test server failed: ${err.message}`));
        }),
      );
    },
  };
}
