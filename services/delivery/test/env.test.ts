import { describe, expect, it } from 'vitest';
import { EnvError, loadEnv } from '@rowline/kit';
import { deliveryEnv } from '../src/env.js';

const base = {
  PORT: '4005', DATABASE_URL: 'postgres://delivery@db:5432/rowline', INTERNAL_TOKEN_SECRET: 'x'.repeat(32),
  DELIVERY_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'), FILES_URL: 'http://files:4004', WORKFLOWS_URL: 'http://workflows:4002', STORAGE_DIR: '/data/storage',
};

describe('delivery env', () => {
  it('decodes the secret key to 32 bytes', () => {
    expect(loadEnv(deliveryEnv, base).DELIVERY_SECRET_KEY).toHaveLength(32);
  });

  it('reads the retry schedule as attempts, base and cap', () => {
    expect(loadEnv(deliveryEnv, { ...base, DELIVERY_RETRY_SCHEDULE: '5,30s,2h' }).DELIVERY_RETRY_SCHEDULE)
      .toEqual({ maxAttempts: 5, baseDelayMs: 30_000, maxDelayMs: 7_200_000 });
    expect(() => loadEnv(deliveryEnv, { ...base, DELIVERY_RETRY_SCHEDULE: '5,soon,2h' })).toThrow(/DELIVERY_RETRY_SCHEDULE: "soon" is not a duration/);
  });

  it('requires the workflows service URL (attachDestination checks the workflow there)', () => {
    const { WORKFLOWS_URL: _, ...withoutWorkflows } = base;
    expect(() => loadEnv(deliveryEnv, withoutWorkflows)).toThrow(/WORKFLOWS_URL/);
  });

  it('reports a short key and dev hosts in production together', () => {
    const env = { ...base, NODE_ENV: 'production', DELIVERY_SECRET_KEY: Buffer.alloc(16).toString('base64'), DELIVERY_DEV_ALLOWED_HOSTS: 'localhost' };
    const problems = (() => { try { loadEnv(deliveryEnv, env); } catch (err) { return (err as EnvError).problems; } return []; })();
    expect(problems).toHaveLength(2);
    expect(problems.join('\n')).toMatch(/DELIVERY_SECRET_KEY.*\n.*DELIVERY_DEV_ALLOWED_HOSTS: must be empty in production/);
  });
});
