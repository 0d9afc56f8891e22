import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApolloClient, InMemoryCache, gql } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { createInternalTokens, createLogger } from '@rowline/kit';
import { createTestDatabase, kafkaServer, uniqueName } from '@rowline/testing';
import { startPlatform, type Platform } from '@rowline/embedded';
import { createGateway, loadSupergraph, type Gateway } from '@rowline/gateway';
import { create, encodeExecutionEvent, eventMeta, ExecutionEventSchema, TOPICS } from '@rowline/proto';
import {
  collect, liveClient, metricReaches, metricValue, rawSubscriber, signingKey, tenantWithWorkflow, type Result,
} from './support/live.js';
import { ed25519, genuine, jws } from './support/tokens.js';

const WATCH = /* GraphQL */ `
  subscription Watch($id: ID!, $withFile: Boolean!) {
    executionUpdated(id: $id) {
      event { type status phase sequence at }
      run: execution { ...Run state: status }
      ... on ExecutionUpdate { execution { id } }
    }
  }
  fragment Run on Execution {
    status
    progress { percent rowsProcessed }
    workflowVersion { workflow { name } }
    inputFile @include(if: $withFile) { name }
  }`;

const FEED = /* GraphQL */ `
  subscription Feed($filter: ExecutionEventsFilter) {
    executionEvents(filter: $filter) {
      event { type status phase sequence }
      execution { id status workflowVersion { workflow { name } } inputFile { name } }
    }
  }`;

const terminal = (r: Result) => r.data?.executionEvents?.event.type === 'SUCCEEDED' || r.data?.executionEvents?.event.type === 'FAILED';

/** Sequences present in the events (progress and snapshots carry none) never go backwards. */
function expectInOrder(events: Array<{ sequence: number | null }>) {
  const seqs = events.map((e) => e.sequence).filter((s): s is number => s !== null);
  expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  expect(new Set(seqs).size).toBe(seqs.length);
}

describe('GraphQL subscriptions through the gateway on Apache Kafka', () => {
  let platform: Platform;
  let second: Gateway;
  let secondUrl: string;
  let dataDir: string;
  let dropDb: () => Promise<void>;
  let dbUrl: string;

  beforeAll(async () => {
    const db = await createTestDatabase('subscriptions');
    dropDb = db.drop;
    dbUrl = db.url;
    dataDir = await mkdtemp(join(tmpdir(), 'rowline-subscriptions-'));
    const internalToken = randomBytes(32).toString('hex');
    platform = await startPlatform({
      databaseUrl: db.url, kafkaBrokers: (await kafkaServer()).brokers, topicPrefix: uniqueName('subs'), dataDir, port: 0, logLevel: 'warn',
      secrets: { internalToken, fileUrl: randomBytes(32).toString('hex'), deliveryKey: randomBytes(32).toString('base64') },
      // The demo run is short: report progress from its start, so there is some to see.
      executions: { progressIntervalMs: 0 },
    });
    // A second gateway instance on the same bus: its own consumer group, so it sees every event too.
    second = await createGateway({
      logger: createLogger({ service: 'gateway-2', level: 'warn' }), tokens: createInternalTokens(internalToken),
      supergraphSdl: await loadSupergraph(), urls: platform.urls, jwt: { issuer: 'rowline-auth', audience: 'rowline-api' },
      bus: platform.bus, instanceId: 'second', subscriptions: { queuedUpdates: 64, bufferedBytes: 1024 * 1024 },
    });
    secondUrl = `http://127.0.0.1:${await second.listen(0)}`;
  });

  afterAll(async () => {
    await second?.close();
    await platform?.stop();
    await dropDb?.();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('pushes a run\'s phases, progress and final state with fields of other subgraphs, in order, to a graphql-ws client', async () => {
    const acme = await tenantWithWorkflow(platform.graphqlUrl, 'Acme');
    const { client } = liveClient(platform.url, { authorization: `Bearer ${acme.token}` });
    try {
      const feed = collect(client, FEED, { filter: { workflowId: acme.workflowId } }, terminal);
      await metricReaches(platform.url, 'rowline_subscriptions_active', 1, 'field="executionEvents"');
      const runId = await acme.startRun();
      const watch = collect(client, WATCH, { id: runId, withFile: true });

      const events = (await feed.done).map((r) => r.data.executionEvents);
      expect(events.every((u) => u.execution.id === runId)).toBe(true);
      const types = events.map((u) => u.event.type);
      const statuses = events.filter((u) => u.event.type === 'STATUS_CHANGED').map((u) => u.event.status);
      expect(statuses[0]).toBe('PENDING');
      expect(statuses.at(-1)).toBe('SUCCEEDED');
      expect(statuses).toContain('RUNNING');
      const phases = events.filter((u) => u.event.type === 'STATUS_CHANGED' && u.event.phase).map((u) => u.event.phase);
      expect(phases.length).toBeGreaterThan(0);
      expect(types).toContain('PROGRESS');
      expect(types.filter((t) => t === 'STEP_FINISHED')).toHaveLength(3);
      expect(types.at(-1)).toBe('SUCCEEDED');
      expect(types.indexOf('PROGRESS')).toBeLessThan(types.indexOf('SUCCEEDED'));
      expectInOrder(events.map((u) => u.event));
      expect(events.at(-1).execution).toEqual({
        id: runId, status: 'SUCCEEDED', workflowVersion: { workflow: { name: 'Acme sales by region' } }, inputFile: { name: 'Sales.xlsx' },
      });

      // executionUpdated: the state first, then changes, and it completes after the final event.
      const updates = (await watch.done).map((r) => { expect(r.errors).toBeUndefined(); return r.data.executionUpdated; });
      const [snapshot, ...changes] = updates;
      expect(snapshot.event).toMatchObject({ type: 'SNAPSHOT', sequence: expect.any(Number) });
      // Events at or below the snapshot's sequence may still arrive, and are already in it: a client drops them.
      expectInOrder([snapshot.event, ...changes.map((u) => u.event).filter((e) => e.sequence === null || e.sequence > snapshot.event.sequence)]);
      const last = updates.at(-1);
      expect(last.execution).toEqual({ id: runId });
      expect(last.run).toEqual({
        status: 'SUCCEEDED', state: 'SUCCEEDED', progress: expect.objectContaining({ rowsProcessed: expect.any(Number) }),
        workflowVersion: { workflow: { name: 'Acme sales by region' } }, inputFile: { name: 'Sales.xlsx' },
      });
      expect(['SUCCEEDED', 'SNAPSHOT']).toContain(last.event.type);

      // A late subscriber of a finished run gets its final state and the subscription completes.
      const late = await collect(client, WATCH, { id: runId, withFile: false }).done;
      expect(late).toHaveLength(1);
      expect(late[0].data.executionUpdated).toMatchObject({ event: { type: 'SNAPSHOT' }, run: { status: 'SUCCEEDED', state: 'SUCCEEDED' } });
      expect(late[0].data.executionUpdated.run).not.toHaveProperty('inputFile');
    } finally {
      await client.dispose();
    }
  });

  it('delivers to Apollo Client through GraphQLWsLink, and from both gateway instances', async () => {
    const acme = await tenantWithWorkflow(platform.graphqlUrl, 'Acme Apollo');
    const apollo = (url: string) => new ApolloClient({
      cache: new InMemoryCache(), link: new GraphQLWsLink(liveClient(url, { authorization: `Bearer ${acme.token}` }).client),
    });
    const clients = [apollo(platform.url), apollo(secondUrl)];
    try {
      const received = clients.map((c) => new Promise<any[]>((resolve, reject) => {
        const seen: any[] = [];
        const sub = c.subscribe({ query: gql(FEED), variables: { filter: { workflowId: acme.workflowId } } }).subscribe({
          next: (r) => {
            if (r.error) { reject(r.error); return; }
            seen.push(r.data!.executionEvents);
            if (terminal(r as Result)) { sub.unsubscribe(); resolve(seen); }
          },
          error: reject,
        });
      }));
      await metricReaches(platform.url, 'rowline_subscriptions_active', 1, 'field="executionEvents"');
      await metricReaches(secondUrl, 'rowline_subscriptions_active', 1, 'field="executionEvents"');
      const runId = await acme.startRun();
      for (const events of await Promise.all(received)) {
        expect(events.map((e) => e.event.type)).toEqual(expect.arrayContaining(['STATUS_CHANGED', 'STEP_FINISHED', 'SUCCEEDED']));
        expectInOrder(events.map((e) => e.event));
        expect(events.at(-1).execution).toMatchObject({
          id: runId, status: 'SUCCEEDED', workflowVersion: { workflow: { name: 'Acme Apollo sales by region' } }, inputFile: { name: 'Sales.xlsx' },
        });
      }
    } finally {
      for (const c of clients) c.stop();
    }
  });

  it('never sends a tenant another tenant\'s runs, and answers NOT_FOUND for another tenant\'s run id', async () => {
    const acme = await tenantWithWorkflow(platform.graphqlUrl, 'Acme Isolated');
    const other = await tenantWithWorkflow(platform.graphqlUrl, 'Other Co');
    const acmeClient = liveClient(platform.url, { authorization: `Bearer ${acme.token}` }).client;
    const otherClient = liveClient(platform.url, { authorization: `Bearer ${other.token}` }).client;
    try {
      let otherRun = '';
      const before = await metricValue(platform.url, 'rowline_subscriptions_active', 'field="executionEvents"');
      const otherFeed = collect(otherClient, FEED, {}, (r) => terminal(r) && r.data.executionEvents.execution.id === otherRun);
      await metricReaches(platform.url, 'rowline_subscriptions_active', before + 1, 'field="executionEvents"');

      const acmeRun = await acme.startRun();
      const spying = await collect(otherClient, WATCH, { id: acmeRun, withFile: true }).done;
      expect(spying).toHaveLength(1);
      expect(spying[0]!.data).toBeNull();
      expect(spying[0]!.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
      const acmeUpdates = await collect(acmeClient, WATCH, { id: acmeRun, withFile: true }).done;
      expect(acmeUpdates.at(-1)!.data.executionUpdated.run.status).toBe('SUCCEEDED');

      // Acme's run is over and was pushed by this gateway; the other tenant's own run marks the end of its feed.
      otherRun = await other.startRun();
      const seen = await otherFeed.done;
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.map((r) => r.data.executionEvents.execution.id)).toEqual(seen.map(() => otherRun));
    } finally {
      await acmeClient.dispose();
      await otherClient.dispose();
    }
  });

  it('closes with 4401 without a token, with a bad one, and when the token expires while connected', async () => {
    const acme = await tenantWithWorkflow(platform.graphqlUrl, 'Acme Tokens');
    const missing = liveClient(platform.url, {});
    expect(await missing.firstClose).toMatchObject({ code: 4401, reason: expect.stringContaining('Missing access token') });
    const forged = liveClient(platform.url, { authorization: `Bearer ${acme.token.slice(0, -4)}AAAA` });
    expect(await forged.firstClose).toMatchObject({ code: 4401, reason: 'Invalid access token' });

    const { kid, key } = await signingKey(dbUrl);
    const { header, claims } = genuine({ userId: acme.userId, tenantId: acme.tenantId }, kid);
    const stale = liveClient(platform.url, { authorization: `Bearer ${jws(header, { ...claims, exp: claims.iat - 60 }, ed25519(key))}` });
    expect(await stale.firstClose).toMatchObject({ code: 4401, reason: 'Access token expired' });

    // Valid for five more seconds: the socket opens, serves the subscription, then closes when the token
    // expires. The run is started first, so the token's seconds go to the socket alone.
    const runId = await acme.startRun();
    const shortLived = jws(header, { ...claims, exp: Math.ceil(Date.now() / 1000) + 5 }, ed25519(key));
    const live = liveClient(platform.url, { authorization: `Bearer ${shortLived}` });
    const first = collect(live.client, WATCH, { id: runId, withFile: false }, () => true);
    expect((await first.done)[0]!.data.executionUpdated.event.type).toBe('SNAPSHOT');
    expect(await live.firstClose).toMatchObject({ code: 4401, reason: 'Access token expired' });
  });

  it('drops a client that stops reading with close code 4413, and keeps serving the others', async () => {
    const acme = await tenantWithWorkflow(platform.graphqlUrl, 'Acme Slow');
    const runId = await acme.startRun();
    const query = 'subscription($f: ExecutionEventsFilter) { executionEvents(filter: $f) { event { type message } execution { id } } }';
    const drops = await metricValue(secondUrl, 'rowline_subscription_drops_total', 'reason="too_slow"');
    const active = await metricValue(secondUrl, 'rowline_subscriptions_active', 'field="executionEvents"');
    const slow = await rawSubscriber(secondUrl, acme.token, query, { f: { workflowId: acme.workflowId } });
    const healthy = liveClient(secondUrl, { authorization: `Bearer ${acme.token}` });
    const LOGS = 600;
    const fine = collect(healthy.client, query, { f: { workflowId: acme.workflowId } }, (r) => r.data?.executionEvents.event.message.endsWith(`line ${LOGS - 1}`));
    await metricReaches(secondUrl, 'rowline_subscriptions_active', active + 2, 'field="executionEvents"');
    slow.ws.pause();

    // Log lines of 32 KB for one of the tenant's runs, straight onto the bus: far more than socket buffers hold.
    const line = 'x'.repeat(32 * 1024);
    const events = Array.from({ length: LOGS }, (_, i) => ({
      key: runId,
      value: encodeExecutionEvent(create(ExecutionEventSchema, {
        meta: eventMeta(crypto.randomUUID(), acme.tenantId), executionId: runId, workflowId: acme.workflowId, sequence: BigInt(1000 + i),
        payload: { case: 'log', value: { level: 'info', message: `${line} line ${i}`, step: -1 } },
      })),
    }));
    // Batches stay under the broker's 1 MB message limit.
    for (let i = 0; i < LOGS; i += 20) await platform.bus.publish(TOPICS.executionEvents, events.slice(i, i + 20));

    await metricReaches(secondUrl, 'rowline_subscription_drops_total', drops + 1, 'reason="too_slow"');
    slow.ws.resume();
    expect(await slow.closed).toMatchObject({ code: 4413 });
    const received = await fine.done;
    expect(received.filter((r) => r.data.executionEvents.event.type === 'LOG')).toHaveLength(LOGS);
    await healthy.client.dispose();
  });
});
