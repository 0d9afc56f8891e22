import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createKafkaBus, createMemoryBus, type BusMessage, type EventBus } from '@rowline/bus';
import {
  createInternalClient, createInternalTokens, createLogger, createMetrics, createOrm, INTERNAL_TOKEN_HEADER, newId, type Role,
} from '@rowline/kit';
import { create, decodeExecutionEvent, DeliveryEventSchema, DeliveryStatus, encodeExecutionEvent, eventMeta, ExecutionEventSchema, fromBinary, TOPICS } from '@rowline/proto';
import { createLocalStorage } from '@rowline/storage';
import { kafkaServer, uniqueName } from '@rowline/testing';
import * as files from '@rowline/files';
import { createDeliveryService, entities, migrations, SCHEMA } from '../../src/index.js';
import type { RetrySchedule } from '../../src/domain/retry-policy.js';
import { createDatabase } from './database.js';
import { startWorkflows } from './workflows.js';

export const TENANT = '0193a000-0000-7000-8000-0000000000c1';
export const OTHER_TENANT = '0193a000-0000-7000-8000-0000000000c2';

/** Fast enough for tests, slow enough that a server restarted after the first failure is back before the last attempt. */
export const TEST_SCHEDULE: RetrySchedule = { maxAttempts: 8, baseDelayMs: 200, maxDelayMs: 1000 };

/**
 * The delivery service with its consumer and workers, beside a real files service (artifact locations and
 * download links), on one test database, with the in-process bus or a real Kafka broker.
 */
export async function startDeliveryRuntime(opts: { kafka?: boolean; extraCa?: string; smtpUrl?: string; schedule?: RetrySchedule; workers?: number } = {}) {
  const db = await createDatabase();
  const logger = createLogger({ service: 'delivery-test', level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const tokens = createInternalTokens(randomBytes(32).toString('hex'));
  const storageDir = mkdtempSync(join(tmpdir(), 'delivery-storage-'));
  const storage = createLocalStorage(storageDir);
  const bus: EventBus = opts.kafka
    ? createKafkaBus({ brokers: (await kafkaServer()).brokers, clientId: 'delivery-test', topicPrefix: `${uniqueName('dlv')}.`, logger })
    : createMemoryBus({ logger });
  await bus.ensureTopics([{ name: TOPICS.executionEvents, partitions: 3 }]);

  const filesOrm = await createOrm({ url: db.url, schema: files.SCHEMA, entities: files.entities, migrations: files.migrations, logger });
  const filesSvc = await files.createFilesService({
    logger, orm: filesOrm, tokens, storage,
    env: { PUBLIC_URL: 'https://files.rowline.test', FILE_URL_SECRET: randomBytes(32).toString('hex'), MAX_UPLOAD_BYTES: 10_000_000 },
  });
  const filesUrl = `http://127.0.0.1:${await filesSvc.server.listen(0, '127.0.0.1')}`;
  const registerArtifact = createInternalClient({ tokens, baseUrl: filesUrl, audience: 'files' });

  const workflows = await startWorkflows({ url: db.url, tokens, logger, filesUrl });

  const orm = await createOrm({ url: db.url, schema: SCHEMA, entities, migrations, logger });
  const svc = await createDeliveryService({
    logger, orm, tokens, secretKey: randomBytes(32), metrics: createMetrics('delivery'), workflowsUrl: workflows.url,
    hosts: { production: false, devAllowedHosts: ['localhost'] },
    runtime: { bus, storage, filesUrl, workers: { concurrency: opts.workers ?? 2, pollMs: 50 } },
    retrySchedule: opts.schedule ?? TEST_SCHEDULE,
    transportTimeoutMs: 5000,
    extraCa: opts.extraCa,
    smtp: opts.smtpUrl ? { url: opts.smtpUrl, from: 'Rowline <deliveries@rowline.test>' } : undefined,
  });
  const port = await svc.server.listen(0, '127.0.0.1');

  const ledgerEvents: Array<{ topic: string; status: string; deliveryId: string; eventId: string }> = [];
  const eventSub = await bus.subscribe({
    topics: [TOPICS.deliveryEvents, `${TOPICS.deliveryEvents}.dlq`], groupId: 'delivery-test-observer', fromBeginning: true,
    handler: async (msg: BusMessage) => {
      const e = fromBinary(DeliveryEventSchema, msg.value);
      ledgerEvents.push({ topic: msg.topic, status: DeliveryStatus[e.status], deliveryId: e.deliveryId, eventId: e.meta?.eventId ?? '' });
    },
  });
  await eventSub.ready;
  await svc.runtime!.start();

  async function gql<T = any>(query: string, variables: object = {}, caller: { tenantId: string; role: Role } = { tenantId: TENANT, role: 'OWNER' }): Promise<{ data?: T; errors?: any[] }> {
    const token = await tokens.sign({ kind: 'user', tenantId: caller.tenantId, subject: 'user-1', role: caller.role, scopes: [] }, 'delivery');
    const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST', headers: { 'content-type': 'application/json', [INTERNAL_TOKEN_HEADER]: token }, body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as { data?: T; errors?: any[] };
  }
  async function must<T = any>(query: string, variables: object = {}): Promise<T> {
    const result = await gql<T>(query, variables);
    if (result.errors?.length) throw new Error(JSON.stringify(result.errors));
    return result.data!;
  }

  return {
    bus, storage, storageDir, orm, gql, must, ledgerEvents,

    /** The sum of a metric's samples on the service's /metrics whose labels include every `labels` pair. */
    async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      let sum = 0;
      for (const m of text.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`, 'gm'))) {
        if (Object.entries(labels).every(([k, v]) => m[1]!.includes(`${k}="${v}"`))) sum += Number(m[2]);
      }
      return sum;
    },

    async createDestination(kind: string, config: object, name = `${kind} ${newId().slice(-6)}`): Promise<string> {
      const data = await must(`mutation($input: CreateDestinationInput!) { createDestination(input: $input) { id } }`, { input: { name, kind, config } });
      return data.createDestination.id;
    },
    /** A real workflow of the tenant (routes must name one). */
    workflow: (tenantId: string = TENANT) => workflows.create(tenantId),
    async attach(workflowId: string, destinationId: string, route: { artifactPattern?: string; fileNameTemplate?: string } = {}) {
      await must(`mutation($input: AttachDestinationInput!) { attachDestination(input: $input) { id } }`, { input: { workflowId, destinationId, ...route } });
    },

    /**
     * What the engine does for a run: writes its artifacts, registers them with the files service, and announces the
     * success. `beforeAnnounce` gets the artifacts' storage keys before the announcement (and so before any delivery).
     */
    async succeedRun(run: {
      workflowId: string; artifacts: Array<{ name: string; content: string; contentType?: string }>; tenantId?: string;
      beforeAnnounce?: (storageKeys: string[]) => Promise<void>;
    }) {
      const tenantId = run.tenantId ?? TENANT;
      const executionId = newId();
      const artifacts = [];
      for (const a of run.artifacts) {
        const key = `${tenantId}/artifacts/${executionId}/${a.name}`;
        const stored = await storage.put(key, Readable.from([Buffer.from(a.content)]));
        const registered = await registerArtifact<{ id: string }>(
          { kind: 'service', tenantId, subject: 'service:executions', role: 'MEMBER', scopes: [] }, '/internal/artifacts',
          { method: 'POST', body: { executionId, name: a.name, storageKey: key, size: stored.size, sha256: stored.sha256, contentType: a.contentType ?? 'text/csv' } },
        );
        artifacts.push({ fileId: registered.id, name: a.name, size: BigInt(stored.size), sha256: createHash('sha256').update(a.content).digest('hex'), contentType: a.contentType ?? 'text/csv' });
      }
      await run.beforeAnnounce?.(run.artifacts.map((a) => `${tenantId}/artifacts/${executionId}/${a.name}`));
      const event = encodeExecutionEvent(create(ExecutionEventSchema, {
        meta: eventMeta(newId(), tenantId), executionId, workflowId: run.workflowId, sequence: 9n,
        payload: { case: 'succeeded', value: { artifacts } },
      }));
      await bus.publish(TOPICS.executionEvents, [{ key: executionId, value: event }]);
      return { executionId, event };
    },
    /** Publishes the same run's success again, as the executions outbox may after a crash (same event), or a fresh event id for it. */
    async replay(event: Uint8Array, opts: { newEventId?: boolean } = {}) {
      let bytes = event;
      if (opts.newEventId) {
        const decoded = decodeExecutionEvent(event);
        decoded.meta = eventMeta(newId(), decoded.meta!.tenantId);
        bytes = encodeExecutionEvent(decoded);
      }
      await bus.publish(TOPICS.executionEvents, [{ key: decodeExecutionEvent(bytes).executionId, value: bytes }]);
    },
    async deliveriesOf(executionId: string): Promise<any[]> {
      const data = await must(`query($id: ID!) { deliveries(executionId: $id, first: 100) { edges { node {
        id status fileName attemptCount lastError nextAttemptAt attempts { at outcome error durationMs } } } } }`, { id: executionId });
      return data.deliveries.edges.map((e: any) => e.node);
    },
    /** Polls until the run has `count` deliveries all in one of `statuses`; fails with what it saw last. */
    async waitForDeliveries(executionId: string, count: number, statuses: string[], timeoutMs = 30_000): Promise<any[]> {
      const until = Date.now() + timeoutMs;
      let last: any[] = [];
      while (Date.now() < until) {
        last = await this.deliveriesOf(executionId);
        if (last.length === count && last.every((d) => statuses.includes(d.status))) return last;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`expected ${count} deliveries in ${statuses.join('|')}, saw ${JSON.stringify(last, null, 1)}`);
    },
    async waitFor<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs = 30_000): Promise<T> {
      const until = Date.now() + timeoutMs;
      while (Date.now() < until) {
        const value = await probe();
        if (value) return value;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`timed out waiting for ${what}`);
    },
    async stop() {
      await svc.runtime!.stop();
      await eventSub.stop();
      await svc.server.close();
      await filesSvc.server.close();
      await workflows.stop();
      await bus.close();
      await orm.close();
      await filesOrm.close();
      await db.drop();
    },
  };
}
export type DeliveryRuntimeHarness = Awaited<ReturnType<typeof startDeliveryRuntime>>;
