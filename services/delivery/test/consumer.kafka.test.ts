import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '@rowline/kit';
import { decodeExecutionEvent } from '@rowline/proto';
import { createTestPki } from './support/servers/tls.js';
import { startWebhookReceiver, type WebhookReceiver } from './support/servers/webhook-receiver.js';
import { startDeliveryRuntime, type DeliveryRuntimeHarness } from './support/runtime.js';

const SECRET = 'kafka-test-secret-0123456789';
let h: DeliveryRuntimeHarness;
let receiver: WebhookReceiver;

beforeAll(async () => {
  const pki = createTestPki();
  receiver = await startWebhookReceiver(pki, { secrets: [SECRET] });
  h = await startDeliveryRuntime({ kafka: true, extraCa: pki.caPem });
});
afterAll(async () => {
  await h?.stop();
  await receiver?.stop();
});

describe('the executions.events consumer on a real Kafka broker', () => {
  it('records one delivery per artifact and route, publishes ledger events, and ignores replays', async () => {
    const workflowId = await h.workflow();
    const first = await h.createDestination('WEBHOOK', { url: receiver.url, secret: SECRET });
    const second = await h.createDestination('WEBHOOK', { url: `${receiver.url}?copy=2`, secret: SECRET });
    await h.attach(workflowId, first);
    await h.attach(workflowId, second, { artifactPattern: 'summary*' });
    const { executionId, event } = await h.succeedRun({
      workflowId, artifacts: [{ name: 'summary.csv', content: 's' }, { name: 'detail.csv', content: 'd' }],
    });
    const deliveries = await h.waitForDeliveries(executionId, 3, ['SUCCEEDED']);
    expect(deliveries.map((d) => d.fileName).sort()).toEqual(['detail.csv', 'summary.csv', 'summary.csv']);

    await h.replay(event);
    await h.replay(event, { newEventId: true });
    const marker = await h.succeedRun({ workflowId, artifacts: [{ name: 'other.csv', content: 'o' }] });
    await h.waitForDeliveries(marker.executionId, 1, ['SUCCEEDED']);
    await h.waitFor(async () => {
      const [row] = await h.orm.em.fork().getConnection().execute<Array<{ n: string }>>('select count(*) as n from "delivery"."processed_events"');
      return Number(row!.n) === 3;
    }, 'the replayed events to be consumed');
    expect(await h.deliveriesOf(executionId)).toHaveLength(3);
    expect(receiver.received.filter((r) => r.body.executionId === executionId)).toHaveLength(3);

    await h.waitFor(() => h.ledgerEvents.filter((e) => e.status === 'SUCCEEDED').length === 4, 'four SUCCEEDED ledger events from Kafka');
    for (const d of deliveries) {
      expect(h.ledgerEvents.filter((e) => e.deliveryId === d.id).map((e) => e.status)).toEqual(['PENDING', 'SUCCEEDED']);
    }
  });

  it('ignores events of runs that did not succeed and runs of workflows without routes, writing nothing for them', async () => {
    const { executionId, event } = await h.succeedRun({ workflowId: newId(), artifacts: [{ name: 'unrouted.csv', content: 'u' }] });
    const marker = await h.workflow();
    const destination = await h.createDestination('WEBHOOK', { url: receiver.url, secret: SECRET });
    await h.attach(marker, destination);
    const after = await h.succeedRun({ workflowId: marker, artifacts: [{ name: 'routed.csv', content: 'r' }] });
    await h.waitForDeliveries(after.executionId, 1, ['SUCCEEDED']);
    expect(await h.deliveriesOf(executionId)).toEqual([]);
    // Consumed (the later event was), but a run with nothing to deliver leaves no row, not even its event id.
    const [row] = await h.orm.em.fork().getConnection().execute<Array<{ n: string }>>(
      'select count(*) as n from "delivery"."processed_events" where "event_id" = ?', [decodeExecutionEvent(event).meta!.eventId]);
    expect(Number(row!.n)).toBe(0);
  });
});
