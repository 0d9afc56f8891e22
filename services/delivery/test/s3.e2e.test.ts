import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { newId } from '@rowline/kit';
import { createTestBucket, testS3Client, uniqueName, type TestBucket } from '@rowline/testing';
import { freePort } from './support/servers/process.js';
import { startDeliveryRuntime, type DeliveryRuntimeHarness } from './support/runtime.js';

let bucket: TestBucket;
let h: DeliveryRuntimeHarness;

beforeAll(async () => {
  bucket = await createTestBucket('delivery');
  h = await startDeliveryRuntime();
});
afterAll(async () => {
  await h?.stop();
  await bucket?.drop();
});

/** The run's S3 server, named `localhost` (the tests' allow-listed host) instead of 127.0.0.1. */
const endpoint = () => { const url = new URL(bucket.endpoint); url.hostname = 'localhost'; return url.toString().replace(/\/$/, ''); };
const s3Config = (overrides: object = {}) => ({
  bucket: bucket.bucket, prefix: 'outbound/daily', region: bucket.region, endpoint: endpoint(),
  accessKeyId: bucket.accessKeyId, secretAccessKey: bucket.secretAccessKey, ...overrides,
});
async function s3Route(overrides: object = {}, route: { fileNameTemplate?: string } = {}) {
  const workflowId = await h.workflow();
  const destinationId = await h.createDestination('S3', s3Config(overrides));
  await h.attach(workflowId, destinationId, route);
  return { workflowId, destinationId };
}
async function objectText(bucketName: string, key: string): Promise<string> {
  const client = testS3Client(bucket);
  try {
    const object = await client.send(new GetObjectCommand({ Bucket: bucketName, Key: key }));
    return await object.Body!.transformToString();
  } finally {
    client.destroy();
  }
}

describe('S3 deliveries to a real S3-compatible server', () => {
  it('puts the artifact under the prefix and the templated name', async () => {
    const { workflowId } = await s3Route({}, { fileNameTemplate: '{executionId}-{name}' });
    const { executionId } = await h.succeedRun({ workflowId, artifacts: [{ name: 'sales.csv', content: 'region,total\nEU,10\n' }] });
    const [delivery] = await h.waitForDeliveries(executionId, 1, ['SUCCEEDED']);
    expect(await objectText(bucket.bucket, `outbound/daily/${delivery.fileName}`)).toBe('region,total\nEU,10\n');
  });

  it('retries while the bucket is missing and delivers once it exists', async () => {
    const later = uniqueName('later').toLowerCase().slice(0, 40).replace(/[^a-z0-9-]/g, '-').replace(/-+$/, '');
    const { workflowId } = await s3Route({ bucket: later, prefix: '' });
    const { executionId } = await h.succeedRun({ workflowId, artifacts: [{ name: 'waiting.csv', content: 'w' }] });
    await h.waitFor(async () => (await h.deliveriesOf(executionId))[0]?.attempts.length >= 1, 'a failed attempt');
    const admin = testS3Client(bucket);
    try { await admin.send(new CreateBucketCommand({ Bucket: later })); } finally { admin.destroy(); }
    const [delivery] = await h.waitForDeliveries(executionId, 1, ['SUCCEEDED']);
    expect(delivery.attempts[0]).toMatchObject({ outcome: 'FAILED', error: expect.stringMatching(/^REMOTE: .*bucket does not exist/) });
    expect(await objectText(later, 'waiting.csv')).toBe('w');
  });

  it('goes DEAD while the endpoint is down, then redeliver puts it once the endpoint is fixed', async () => {
    const { workflowId, destinationId } = await s3Route({ endpoint: `http://localhost:${await freePort()}` });
    const { executionId } = await h.succeedRun({ workflowId, artifacts: [{ name: 'parked.csv', content: 'p' }] });
    const [dead] = await h.waitForDeliveries(executionId, 1, ['DEAD']);
    expect(dead.attempts).toHaveLength(8);
    expect(dead.lastError).toMatch(/^CONNECT: /);
    await h.must(`mutation($input: UpdateDestinationInput!) { updateDestination(input: $input) { id } }`, { input: { id: destinationId, config: s3Config() } });
    await h.must(`mutation($id: ID!) { redeliver(id: $id) { id } }`, { id: dead.id });
    await h.waitForDeliveries(executionId, 1, ['SUCCEEDED']);
    expect(await objectText(bucket.bucket, 'outbound/daily/parked.csv')).toBe('p');
  });

  it('puts once when the run\'s success is replayed', async () => {
    const { workflowId } = await s3Route({}, { fileNameTemplate: 'replayed-{executionId}.csv' });
    const { executionId, event } = await h.succeedRun({ workflowId, artifacts: [{ name: 'r.csv', content: 'r' }] });
    await h.waitForDeliveries(executionId, 1, ['SUCCEEDED']);
    await h.replay(event, { newEventId: true });
    const marker = await h.succeedRun({ workflowId, artifacts: [{ name: 'm.csv', content: 'm' }] });
    await h.waitForDeliveries(marker.executionId, 1, ['SUCCEEDED']);
    expect(await h.deliveriesOf(executionId)).toHaveLength(1);
    const admin = testS3Client(bucket);
    try {
      const head = await admin.send(new HeadObjectCommand({ Bucket: bucket.bucket, Key: `outbound/daily/replayed-${executionId}.csv` }));
      expect(head.Metadata?.['idempotency-key']).toMatch(/^dlv_/);
    } finally { admin.destroy(); }
  });

  it('testDestination reports success, wrong keys, and an endpoint refused by the SSRF guard', async () => {
    const query = `mutation($id: ID!) { testDestination(id: $id) { ok stage message } }`;
    const good = await h.createDestination('S3', s3Config());
    const wrongKey = await h.createDestination('S3', s3Config({ secretAccessKey: 'not-the-key' }));
    expect((await h.must(query, { id: good })).testDestination).toEqual({ ok: true, stage: null, message: null });
    expect((await h.must(query, { id: wrongKey })).testDestination).toMatchObject({ ok: false, stage: 'AUTH' });
    const literal = await h.gql(`mutation($input: CreateDestinationInput!) { createDestination(input: $input) { id } }`, {
      input: { name: 's3 metadata', kind: 'S3', config: s3Config({ endpoint: 'http://169.254.169.254' }) },
    });
    expect(literal.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    const named = await h.createDestination('S3', s3Config({ endpoint: `https://${hostname()}:${new URL(bucket.endpoint).port}` }));
    expect((await h.must(query, { id: named })).testDestination).toMatchObject({ ok: false, stage: 'SSRF', message: expect.stringContaining(`Refused to connect to ${hostname()}`) });
  });
});
