import { describe, expect, it } from 'vitest';
import { baseEnv, csv, EnvError, loadEnv } from '@rowline/kit';

const VALID = {
  PORT: '4100',
  DATABASE_URL: 'postgres://rowline@127.0.0.1:5432/rowline',
  INTERNAL_TOKEN_SECRET: 'x'.repeat(32),
};

function problemsOf(source: NodeJS.ProcessEnv): string[] {
  try {
    loadEnv(baseEnv, source);
  } catch (err) {
    expect(err).toBeInstanceOf(EnvError);
    return (err as EnvError).problems;
  }
  throw new Error('loadEnv accepted an invalid environment');
}

describe('loadEnv', () => {
  it('parses a valid environment, coercing numbers and filling defaults', () => {
    expect(loadEnv(baseEnv, VALID)).toEqual({
      ...VALID, PORT: 4100, NODE_ENV: 'development', LOG_LEVEL: 'info', HOST: '127.0.0.1', KAFKA_TOPIC_PREFIX: '',
    });
  });

  it('reports every problem at once, each naming its variable', () => {
    const problems = problemsOf({ PORT: 'eighty', DATABASE_URL: 'not a url', INTERNAL_TOKEN_SECRET: 'short', LOG_LEVEL: 'loud' });
    expect(problems).toHaveLength(4);
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['DATABASE_URL', 'INTERNAL_TOKEN_SECRET', 'LOG_LEVEL', 'PORT']);
    expect(problems.find((p) => p.startsWith('INTERNAL_TOKEN_SECRET'))).toContain('at least 32 characters');
  });

  it('reports missing variables as well as malformed ones', () => {
    const problems = problemsOf({ PORT: '70000' });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['DATABASE_URL', 'INTERNAL_TOKEN_SECRET', 'PORT']);
  });

  it('lists the problems in the error message so the operator sees them in the crash log', () => {
    expect(() => loadEnv(baseEnv, {})).toThrow(/Invalid configuration:\n {2}- .*DATABASE_URL/s);
  });

  it('never echoes a secret value into the message', () => {
    const secret = 'too-short-secret';
    expect(() => loadEnv(baseEnv, { ...VALID, INTERNAL_TOKEN_SECRET: secret })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining(secret) }),
    );
  });
});

describe('csv', () => {
  it('splits on commas, trims and drops empty items', () => {
    expect(csv(' a, b ,,c ,')).toEqual(['a', 'b', 'c']);
    expect(csv(undefined)).toEqual([]);
  });
});

describe('loadEnv and empty variables', () => {
  it('treats an empty variable as unset, so its default or optionality applies', async () => {
    const { z } = await import('zod');
    const { loadEnv } = await import('@rowline/kit');
    const schema = z.object({ DATABASE_URL: z.string().url().optional(), PORT: z.coerce.number().default(4000) });
    expect(loadEnv(schema, { DATABASE_URL: '', PORT: '' })).toEqual({ PORT: 4000 });
  });
});
