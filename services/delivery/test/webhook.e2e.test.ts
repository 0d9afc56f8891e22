import { hostname } from 'node:os';
import { lookup } from 'node:dns/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '@rowline/kit';
import { isInternalAddress } from '../src/domain/address-classifier.js';
import { freePort } from './support/servers/process.js';
import { createTestPki, type TestPki } from './support/servers/tls.js';
import { startWebhookReceiver, type WebhookReceiver } from './support/servers/webhook-receiver.js';
import { OTHER_TENANT, startDeliveryRuntime, type DeliveryRuntimeHarness } from './support/runtime.js';

const SECRET = 'whk-test-secret-0123456789';
let pki: TestPki;
let h: DeliveryRuntimeHarness;
let receiver: WebhookReceiver;

beforeAll(async () => {
  pki = createTestPki();
  receiver = await startWebhookReceiver(pki, { secrets: [SECRET] });
  h = await startDeliveryRuntime({ extraCa: pki.caPem });
});
afterAll(async () => {
  await h?.stop();
  await receiver?.stop();
});

/** A workflow with one webhook route to `url`; returns the workflow and destination ids. */
async function webhookRoute(url: string, route: { artifactPattern?: string; fileNameTemplate?: string } = {}, secret = SECRET) {
  const workflowId = await h.workflow();
  const destinationId = await h.createDestination('WEBHOOK', { url, secret });
  await h.attach(workflowId, destinationId, route);
  return { workflowId, destinationId };
}
const receivedFor = (executionId: string) => receiver.received.filter((r) => r.body.executionId === executionId);

describe('webhook deliveries to a local HTTPS receiver that verifies signatures', () => {
  it('delivers each matching artifact once, signed, with the route\'s file name', async () => {
    const succeededBefore = await h.metric('rowline_deliveries_total', { kind: 'webhook', outcome: 'succeeded' });
    const { workflowId } = await webhookRoute(receiver.url, { artifactPattern: '*.csv', fileNameTemplate: '{stem}-{executionId}.{ext}' });
    const { executionId } = await h.succeedRun({ workflowId, artifacts: [{ name: 'totals.csv', content: 'a,b\n1,2\n' }, { name: 'notes.txt', content: 'skip me' }] });
    const [delivery] = await h.waitForDeliveries(executionId, 1, ['SUCCEEDED']);

    expect(delivery.fileName).toBe(`totals-${executionId}.csv`);
    expect(delivery.attempts).toMatchObject([{ outcome: 'SUCCEEDED', error: null }]);
    const [hook] = receivedFor(executionId);
    expect(receivedFor(executionId)).toHaveLength(1);
    expect(hook!.signatureValid).toBe(true);
    expect(hook!.id).toMatch(/^dlv_/);
    expect(hook!.body).toMatchObject({
      type: 'artifact.delivered', executionId, workflowId,
      artifact: { name: 'totals.csv', fileName: `totals-${executionId}.csv`, size: 8, downloadUrl: expect.stringMatching(/^https:\/\/files\.rowline\.test\/files\/download\//) },
    });
    await h.waitFor(() => h.ledgerEvents.some((e) => e.deliveryId === delivery.id && e.status === 'SUCCEEDED'), 'the SUCCEEDED ledger event');
    expect(h.ledgerEvents.filter((e) => e.deliveryId === delivery.id).map((e) => e.status)).toEqual(['PENDING', 'SUCCEEDED']);
    expect(await h.metric('rowline_deliveries_total', { kind: 'webhook', outcome: 'succeeded' })).toBe(succeededBefore + 1);
    expect(await h.metric('rowline_delivery_attempt_seconds_count', { kind: 'webhook' })).toBeGreaterThan(0);
  });

  it('creates nothing new when a run\'s success is replayed, with the same or a new event id', async () => {
    const { workflowId } = await webhookRoute(receiver.url);
    const { executionId, event } = await h.succeedRun({ workflowId, artifacts: [{ name: 'once.csv', content: 'x' }] });
    await h.waitForDeliveries(executionId, 1, ['SUCCEEDED']);
    await h.replay(event);
    await h.replay(event, { newEventId: true });
    // The replays share the run's key, so they are consumed in order; a later run on the same route marks when they are done.
    const marker = await h.succeedRun({ workflowId, artifacts: [{ name: 'marker.csv', content: 'm' }] });
    await h.waitForDeliveries(marker.executionId, 1, ['SUCCEEDED']);
    await h.waitFor(async () => {
      const [row] = await h.orm.em.fork().getConnection().execute<Array<{ n: string }>>(
        `select count(*) as n from "delivery"."processed_events" where "consumer" = 'delivery-service'`);
      return Number(row!.n) >= 4;
    }, 'the replays to be consumed');
    expect(await h.deliveriesOf(executionId)).toHaveLength(1);
    expect(receivedFor(executionId)).toHaveLength(1);
  });

  it('retries while the receiver is down and delivers once when it is back', async () => {
    const { workflowId } = await webhookRoute(receiver.url);
    await receiver.stop();
    const { executionId } = await h.succeedRun({ workflowId, artifacts: [{ name: 'late.csv', content: 'late' }] });
    await h.waitFor(async () => (await h.deliveriesOf(executionId))[0]?.attempts.length >= 1, 'a failed attempt');
    await receiver.start();
    const [delivery] = await h.waitForDeliveries(executionId, 1, ['SUCCEEDED']);
    expect(delivery.attempts[0]).toMatchObject({ outcome: 'FAILED', error: expect.stringMatching(/^CONNECT: /) });
    expect(delivery.attempts.at(-1)).toMatchObject({ outcome: 'SUCCEEDED' });
    expect(receivedFor(executionId)).toHaveLength(1);
  });

  it('goes DEAD when the receiver never comes back, dead-letters the event, and redelivers with the same webhook-id', async () => {
    const gone = await startWebhookReceiver(pki, { secrets: [SECRET] });
    await gone.stop();
    const { workflowId } = await webhookRoute(gone.url);
    const deadBefore = await h.metric('rowline_deliveries_total', { kind: 'webhook', outcome: 'dead' });
    const failedBefore = await h.metric('rowline_delivery_attempts_total', { kind: 'webhook', outcome: 'FAILED' });
    const { executionId } = await h.succeedRun({ workflowId, artifacts: [{ name: 'dead.csv', content: 'dead' }] });
    const [dead] = await h.waitForDeliveries(executionId, 1, ['DEAD']);
    expect(dead.attempts).toHaveLength(8);
    // What the RowlineDeadDeliveries alert reads (ops/prometheus/alerts.yaml).
    expect(await h.metric('rowline_deliveries_total', { kind: 'webhook', outcome: 'dead' })).toBe(deadBefore + 1);
    expect(await h.metric('rowline_delivery_attempts_total', { kind: 'webhook', outcome: 'FAILED' })).toBe(failedBefore + 8);
    expect(dead.attempts.every((a: any) => a.outcome === 'FAILED')).toBe(true);
    expect(dead.nextAttemptAt).toBeNull();
    await h.waitFor(() => h.ledgerEvents.some((e) => e.deliveryId === dead.id && e.topic === 'deliveries.events.dlq'), 'the dead-letter event');
    expect(h.ledgerEvents.filter((e) => e.deliveryId === dead.id && e.status === 'DEAD').map((e) => e.topic).sort())
      .toEqual(['deliveries.events', 'deliveries.events.dlq']);

    await gone.start();
    try {
      const result = await h.gql(`mutation($id: ID!) { redeliver(id: $id) { id status } }`, { id: dead.id });
      expect(result.errors).toBeUndefined();
      const [again] = await h.waitForDeliveries(executionId, 1, ['SUCCEEDED']);
      expect(again.attempts).toHaveLength(9);
      expect(gone.received).toHaveLength(1);
      const first = gone.received[0]!;
      await h.gql(`mutation($id: ID!) { redeliver(id: $id) { id } }`, { id: dead.id });
      await h.waitFor(() => gone.received.length === 2, 'the second redelivery');
      expect(gone.received[1]!.id).toBe(first.id);
    } finally {
      await gone.stop();
    }
  });

  it('honours Retry-After, counts a redirect as a failure, and succeeds after both', async () => {
    const { workflowId } = await webhookRoute(receiver.url);
    const answers = [{ status: 503, headers: { 'retry-after': '2' } }, { status: 302, headers: { location: 'http://169.254.169.254/' } }];
    let seen = 0;
    receiver.onRequest(() => answers[seen++] ?? { status: 204 });
    try {
      const { executionId } = await h.succeedRun({ workflowId, artifacts: [{ name: 'busy.csv', content: 'busy' }] });
      const [delivery] = await h.waitForDeliveries(executionId, 1, ['SUCCEEDED']);
      expect(delivery.attempts.map((a: any) => a.outcome)).toEqual(['FAILED', 'FAILED', 'SUCCEEDED']);
      expect(delivery.attempts[0].error).toMatch(/HTTP: .* answered 503/);
      expect(delivery.attempts[1].error).toMatch(/HTTP: .* answered 302 \(redirects are not followed\)/);
      const gapMs = Date.parse(delivery.attempts[1].at) - Date.parse(delivery.attempts[0].at);
      expect(gapMs).toBeGreaterThanOrEqual(2000);
    } finally {
      receiver.onRequest(() => ({ status: 204 }));
    }
  });

  it('stops at once and disables the destination when the receiver answers 410 Gone', async () => {
    const { workflowId, destinationId } = await webhookRoute(receiver.url);
    receiver.onRequest(() => ({ status: 410 }));
    try {
      const { executionId } = await h.succeedRun({ workflowId, artifacts: [{ name: 'gone.csv', content: 'gone' }] });
      const [delivery] = await h.waitForDeliveries(executionId, 1, ['DEAD']);
      expect(delivery.attempts).toHaveLength(1);
      expect(delivery.lastError).toMatch(/410 Gone/);
      const data = await h.must(`query($id: ID!) { destination(id: $id) { enabled } }`, { id: destinationId });
      expect(data.destination.enabled).toBe(false);
    } finally {
      receiver.onRequest(() => ({ status: 204 }));
    }
  });

  it('signs with the rotated secret once the destination\'s secret is changed', async () => {
    const { workflowId, destinationId } = await webhookRoute(receiver.url);
    const rotated = 'whk-rotated-secret-9876543210';
    await h.must(`mutation($input: UpdateDestinationInput!) { updateDestination(input: $input) { id } }`, {
      input: { id: destinationId, config: { url: receiver.url, secret: rotated } },
    });
    receiver.setSecrets([rotated]);
    try {
      const { executionId } = await h.succeedRun({ workflowId, artifacts: [{ name: 'rotated.csv', content: 'r' }] });
      await h.waitForDeliveries(executionId, 1, ['SUCCEEDED']);
      expect(receivedFor(executionId)[0]!.signatureValid).toBe(true);
    } finally {
      receiver.setSecrets([SECRET]);
    }
  });

  it('testDestination connects for real and says exactly what failed', async () => {
    const up = await h.createDestination('WEBHOOK', { url: receiver.url, secret: SECRET });
    const down = await h.createDestination('WEBHOOK', { url: `https://localhost:${await freePort()}/hook`, secret: SECRET });
    const query = `mutation($id: ID!) { testDestination(id: $id) { ok stage message } }`;
    expect((await h.must(query, { id: up })).testDestination).toEqual({ ok: true, stage: null, message: null });
    expect((await h.must(query, { id: down })).testDestination).toMatchObject({ ok: false, stage: 'CONNECT', message: expect.stringMatching(/ECONNREFUSED/) });
  });

  it('refuses, at connect time, a host whose name resolves to an internal address', async () => {
    const name = hostname();
    const addresses = await lookup(name, { all: true });
    if (!addresses.some((a) => isInternalAddress(a.address))) throw new Error(`this test needs the machine's host name (${name}) to resolve to a local address, as /etc/hosts does on Debian`);
    const { workflowId, destinationId } = await webhookRoute(`https://${name}:${receiver.port}/hooks/rowline`);
    const { executionId } = await h.succeedRun({ workflowId, artifacts: [{ name: 'ssrf.csv', content: 's' }] });
    const [delivery] = await h.waitForDeliveries(executionId, 1, ['DEAD']);
    expect(delivery.attempts).toHaveLength(1);
    expect(delivery.lastError).toMatch(new RegExp(`^SSRF: Refused to connect to ${name}: it resolves to `));
    expect(receivedFor(executionId)).toHaveLength(0);
    const probe = await h.must(`mutation($id: ID!) { testDestination(id: $id) { ok stage } }`, { id: destinationId });
    expect(probe.testDestination).toEqual({ ok: false, stage: 'SSRF' });
  });

  it('refuses literal internal addresses in any spelling when the destination is saved', async () => {
    for (const host of ['127.0.0.1', '2130706433', '0x7f000001', '0177.0.0.1', '127.1', '[::ffff:127.0.0.1]', '169.254.169.254', '[::1]', '10.0.0.8']) {
      const result = await h.gql(`mutation($input: CreateDestinationInput!) { createDestination(input: $input) { id } }`, {
        input: { name: `ssrf ${host}`, kind: 'WEBHOOK', config: { url: `https://${host}/hook`, secret: SECRET } },
      });
      expect(result.errors?.[0]?.extensions.code, host).toBe('BAD_USER_INPUT');
    }
  });

  it('answers NOT_FOUND to another tenant\'s redeliver and testDestination, and changes nothing', async () => {
    const { workflowId, destinationId } = await webhookRoute(receiver.url);
    const { executionId } = await h.succeedRun({ workflowId, artifacts: [{ name: 'mine.csv', content: 'm' }] });
    const [delivery] = await h.waitForDeliveries(executionId, 1, ['SUCCEEDED']);
    const other = { tenantId: OTHER_TENANT, role: 'OWNER' as const };
    const redeliver = await h.gql(`mutation($id: ID!) { redeliver(id: $id) { id } }`, { id: delivery.id }, other);
    expect(redeliver.errors?.map((e) => e.extensions.code)).toEqual(['NOT_FOUND']);
    const probe = await h.gql(`mutation($id: ID!) { testDestination(id: $id) { ok } }`, { id: destinationId }, other);
    expect(probe.errors?.map((e) => e.extensions.code)).toEqual(['NOT_FOUND']);
    expect(await h.deliveriesOf(executionId)).toMatchObject([{ status: 'SUCCEEDED', attemptCount: 1 }]);
    expect(receivedFor(executionId)).toHaveLength(1);
  });

  it('refuses a viewer\'s redeliver as FORBIDDEN', async () => {
    const result = await h.gql(`mutation($id: ID!) { redeliver(id: $id) { id } }`, { id: newId() }, { tenantId: OTHER_TENANT, role: 'VIEWER' });
    expect(result.errors?.map((e) => e.extensions.code)).toEqual(['FORBIDDEN']);
  });
});
