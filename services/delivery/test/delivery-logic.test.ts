import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { idempotencyKey, matchesPattern, renderFileName } from '../src/domain/delivery-plan.js';
import { nextDelayMs, parseRetrySchedule, type RetrySchedule } from '../src/domain/retry-policy.js';
import { describeFailure, TransportError } from '../src/transports/errors.js';
import { uploadPaths } from '../src/transports/file-servers.js';
import { parseRetryAfter, signWebhook } from '../src/transports/webhook.js';

describe('routes', () => {
  it('match artifact names by glob, case-insensitively', () => {
    expect(matchesPattern('*', 'anything.xlsx')).toBe(true);
    expect(matchesPattern('*.csv', 'Totals.CSV')).toBe(true);
    expect(matchesPattern('*.csv', 'totals.csv.bak')).toBe(false);
    expect(matchesPattern('report-??.xlsx', 'report-07.xlsx')).toBe(true);
    expect(matchesPattern('report (1).csv', 'report (1).csv')).toBe(true);
    expect(matchesPattern('a.c', 'abc')).toBe(false);
  });

  it('render file names from the template, always as one safe path segment', () => {
    const facts = { name: 'totals.csv', executionId: 'e1', workflowId: 'w1', at: new Date('2026-11-30T10:00:00Z') };
    expect(renderFileName('{stem}-{date}.{ext}', facts)).toBe('totals-2026-11-30.csv');
    expect(renderFileName('{workflowId}/{executionId}-{name}', facts)).toBe('w1_e1-totals.csv');
    expect(renderFileName('{name}', { ...facts, name: '../../etc/passwd' })).toBe('.._.._etc_passwd');
    expect(renderFileName('{stem}', { ...facts, name: '..' })).toBe('artifact');
  });

  it('give one idempotency key per run, route and artifact', () => {
    expect(idempotencyKey('e', 'r', 'f')).toBe(idempotencyKey('e', 'r', 'f'));
    expect(idempotencyKey('e', 'r', 'f')).not.toBe(idempotencyKey('e', 'r2', 'f'));
    expect(idempotencyKey('e', 'r', 'f')).toMatch(/^dlv_[A-Za-z0-9_-]{32}$/);
  });
});

describe('the retry policy', () => {
  const schedule: RetrySchedule = { maxAttempts: 8, baseDelayMs: 60_000, maxDelayMs: 3 * 3600_000 };

  it('draws each wait uniformly below an exponential ceiling capped at the maximum (full jitter)', () => {
    expect(nextDelayMs(schedule, 1, undefined, () => 0.999999)).toBe(59_999);
    expect(nextDelayMs(schedule, 3, undefined, () => 0.5)).toBe(120_000);
    expect(nextDelayMs(schedule, 20, undefined, () => 0.5)).toBe(5_400_000);
    expect(nextDelayMs(schedule, 4, undefined, () => 0)).toBe(0);
  });

  it('waits at least as long as Retry-After asks', () => {
    expect(nextDelayMs(schedule, 1, 7_200_000, () => 0.1)).toBe(7_200_000);
    expect(nextDelayMs(schedule, 20, 1000, () => 0.5)).toBe(5_400_000);
  });

  it('reads schedules and Retry-After headers', () => {
    expect(parseRetrySchedule('3,500ms,2s')).toEqual({ maxAttempts: 3, baseDelayMs: 500, maxDelayMs: 2000 });
    expect(() => parseRetrySchedule('0,1s,2s')).toThrow(/positive integer/);
    expect(() => parseRetrySchedule('3,2h,1h')).toThrow(/cap/);
    expect(parseRetryAfter('120')).toBe(120_000);
    expect(parseRetryAfter(new Date(Date.UTC(2026, 0, 1, 0, 1)).toUTCString(), Date.UTC(2026, 0, 1))).toBe(60_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter('999999999')).toBe(24 * 3600_000);
  });
});

describe('webhook signatures', () => {
  it('follow Standard Webhooks: v1, base64 HMAC-SHA256 of id.timestamp.body', () => {
    const expected = createHmac('sha256', 'plain-secret-123456').update('msg_1.1700000000.{"a":1}').digest('base64');
    expect(signWebhook('plain-secret-123456', 'msg_1', 1700000000, '{"a":1}')).toBe(`v1,${expected}`);
  });

  it('key the HMAC with the decoded bytes of a whsec_ secret', () => {
    const key = Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64');
    const expected = createHmac('sha256', key).update('msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{"test": 2432232314}').digest('base64');
    expect(signWebhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}'))
      .toBe(`v1,${expected}`);
    expect(expected).toBe('g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });
});

describe('file-server uploads', () => {
  it('go to a dot-file beside the target, named after the delivery', () => {
    expect(uploadPaths('/outbox/', 'totals.csv', '0193a000-0000-7000-8000-000000000001'))
      .toEqual({ dir: '/outbox', temp: '/outbox/.totals.csv.0193a000.part', final: '/outbox/totals.csv' });
  });
});

describe('an attempt\'s error as users read it', () => {
  it('is a TransportError\'s stage and message: what the destination answered, under the host the tenant configured', () => {
    expect(describeFailure(new TransportError('CONNECT', 'sftp.example.com:22: connection refused'))).toBe('CONNECT: sftp.example.com:22: connection refused');
    expect(describeFailure(new TransportError('REMOTE', 'upload to /in/a.csv failed: Permission denied'))).toBe('REMOTE: upload to /in/a.csv failed: Permission denied');
  });

  it('is a TransportError\'s own words, not its cause\'s (the platform\'s part that failed)', () => {
    const storage = Object.assign(new Error('ELOOP: too many symbolic links encountered, open \'/var/lib/rowline/t1/artifacts/r1/a.csv\''), { code: 'ELOOP', syscall: 'open' });
    expect(describeFailure(new TransportError('READ', 'the artifact\'s bytes could not be read: storage failed', { cause: storage })))
      .toBe('READ: the artifact\'s bytes could not be read: storage failed');
  });

  it('is INTERNAL, in fixed words, for anything else: a database error, a refused connection to an internal host, a bug', () => {
    const internal = 'INTERNAL: an internal error occurred';
    expect(describeFailure(new Error('duplicate key value violates unique constraint "deliveries_pkey"'))).toBe(internal);
    expect(describeFailure(Object.assign(new Error('connect ECONNREFUSED 10.0.4.17:5432'), { code: 'ECONNREFUSED' }))).toBe(internal);
    expect(describeFailure(new TypeError('Cannot read properties of undefined (reading \'host\')'))).toBe(internal);
    expect(describeFailure('thrown as a string')).toBe(internal);
  });
});
