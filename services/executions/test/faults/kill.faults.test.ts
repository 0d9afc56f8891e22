import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { TOPICS } from '@rowline/proto';
import { kafkaServer } from '@rowline/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { requestedMessage } from '../../src/events/messages.js';
import type { FaultPointName } from '../../src/worker/fault-points.js';
import { until } from '../support/platform.js';
import { startFaultScene, type FaultScene } from './support/scene.js';
import { kill, type WorkerProcess } from './support/worker-process.js';

// Real Kafka, real Postgres, engine workers as processes of their own (the API side runs in this process).
// Each test waits out group rebalances (6 s session timeout) and worker start-ups, on a shared 2-core machine.
vi.setConfig({ testTimeout: 240_000 });

let brokers: string[];
let s: FaultScene;
beforeAll(async () => {
  ({ brokers } = await kafkaServer());
  s = await startFaultScene({ brokers });
});
afterAll(async () => { await s?.stop(); });

const worker = (opts: Parameters<FaultScene['worker']>[0] = {}) => s.worker(opts);
const submit = () => s.submit();
async function stopGracefully(w: WorkerProcess) {
  w.signal('SIGTERM');
  await w.exited;
}

/** Everything stored about the runs, to show that something changed nothing. */
async function snapshot() {
  return {
    runs: await s.p.sql(`select "id", "status", "attempt", "sequence", "artifacts", "finished_at" from "executions"."executions" order by "id"`),
    steps: await s.p.sql(`select count(*)::int as "n" from "executions"."step_runs"`),
    logs: await s.p.sql(`select count(*)::int as "n" from "executions"."execution_logs"`),
    outbox: await s.p.sql(`select count(*)::int as "n" from "executions"."outbox"`),
    artifacts: await s.p.sql(`select "id", "execution_id", "sha256" from "files"."files" where "kind" = 'ARTIFACT' order by "id"`),
  };
}

const lagOf = () => s.p.platform.bus.consumerLag!('engine-workers', [TOPICS.executionRequested]);

describe.each<FaultPointName>(['before-claim', 'after-claim', 'after-effect', 'after-record'])('an engine worker SIGKILLed at %s', (point) => {
  it('leaves every accepted run ended once, with one artifact set and its events in order', async () => {
    const doomed = await worker({ fault: point });
    const ids = [await submit(), await submit(), await submit()];
    const hit = await doomed.fault;
    expect(ids).toContain(hit.executionId);
    await kill(doomed);

    const survivor = await worker();
    await s.checker.verify();
    await stopGracefully(survivor);
  });
});

describe('an engine worker SIGKILLed after its runs ended and their offsets were committed', () => {
  it('changes nothing when another worker takes over', async () => {
    const first = await worker();
    for (let i = 0; i < 3; i++) await submit();
    await s.checker.verify();
    await until('the offsets to be committed', async () => ((await lagOf()) === 0 ? true : undefined));
    const before = await snapshot();
    await kill(first);
    const next = await worker();
    await submit();
    await s.checker.verify();
    const after = await snapshot();
    expect(after.runs.slice(0, before.runs.length)).toEqual(before.runs);
    await stopGracefully(next);
  });
});

describe('redelivery', () => {
  it('of the same request, twice, changes nothing', async () => {
    const w = await worker();
    const id = await submit();
    await s.checker.verify();
    const before = await snapshot();
    const original = await until('the request on the bus', async () => s.p.requested.get(id));
    await s.p.platform.bus.publish(TOPICS.executionRequested, [original, original].map((m) => ({ key: m.key, value: m.value, headers: m.headers })));
    // A fresh run requested under the same key lands on the same partition, behind the duplicates.
    const [row] = await s.p.sql<any>('select * from "executions"."executions" where "id" = ?', [id]);
    const sentinel = randomUUID();
    await s.p.sql(`insert into "executions"."executions" ("id", "tenant_id", "workflow_id", "workflow_version_id", "input_file_id",
        "input_file_name", "input_storage_key", "steps", "status", "idempotency_key", "requested_by", "sequence", "created_at")
      select ?, "tenant_id", "workflow_id", "workflow_version_id", "input_file_id", "input_file_name", "input_storage_key", "steps",
        'PENDING', ?, "requested_by", 1, now() from "executions"."executions" where "id" = ?`, [sentinel, randomUUID(), id]);
    const m = requestedMessage({ id: sentinel, tenantId: row.tenant_id, workflowId: row.workflow_id, workflowVersionId: row.workflow_version_id, inputFileId: row.input_file_id, attempt: 0 });
    await s.p.platform.bus.publish(TOPICS.executionRequested, [{ key: id, value: m.payload, headers: m.headers }]);
    await until('the sentinel run to end', async () => ((await s.p.sql<{ status: string }>(
      'select "status" from "executions"."executions" where "id" = ?', [sentinel]))[0]!.status === 'SUCCEEDED' ? true : undefined));

    const after = await snapshot();
    expect(after.runs.filter((r: any) => r.id !== sentinel)).toEqual(before.runs);
    expect(after.artifacts.filter((a: any) => a.execution_id !== sentinel)).toEqual(before.artifacts);
    await s.checker.verify();
    await stopGracefully(w);
  });

  it('of executions.requested from offset 0 changes nothing', async () => {
    const w = await worker();
    await submit();
    await s.checker.verify();
    await until('the offsets to be committed', async () => ((await lagOf()) === 0 ? true : undefined));
    await stopGracefully(w);
    const before = await snapshot();

    const kafka = new Kafka({ clientId: 'replay', brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    // The group's committed offsets set back to each partition's first message (as numbers: the bus reads a
    // negative "earliest" marker as no offset, which starts a group at the end of the log).
    const topic = `${s.p.topicPrefix}${TOPICS.executionRequested}`;
    const partitions = (await admin.fetchTopicOffsets(topic)).map((o) => ({ partition: o.partition, offset: o.low }));
    await admin.setOffsets({ groupId: `${s.p.topicPrefix}engine-workers`, topic, partitions });
    await admin.disconnect();
    expect(await lagOf()).toBeGreaterThan(0);

    const replayer = await worker();
    await until('the replay to be consumed', async () => ((await lagOf()) === 0 ? true : undefined), 90_000);
    expect(await snapshot()).toEqual(before);
    await s.checker.verify();
    await stopGracefully(replayer);
  });
});
