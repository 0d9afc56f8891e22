import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@rowline/kit';
import { createTestDatabase, uniqueName, type TestDatabase } from '@rowline/testing';
import { DEMO, DEMO_STEPS, graphqlClient, seedDemo, startPlatform, type GraphQLClient, type Platform } from '../src/index.js';

const logger = createLogger({ service: 'seed-test', level: 'silent' });

describe('the demo seed, on every start', () => {
  let db: TestDatabase;
  let sql: pg.Client;
  let platform: Platform;
  let dataDir: string;
  let api: GraphQLClient;

  beforeAll(async () => {
    db = await createTestDatabase('embedded_seed');
    dataDir = await mkdtemp(join(tmpdir(), 'rowline-seed-'));
    platform = await startPlatform({
      databaseUrl: db.url, topicPrefix: uniqueName('seed'), dataDir, port: 0, logLevel: 'warn',
      secrets: { internalToken: randomBytes(32).toString('hex'), fileUrl: randomBytes(32).toString('hex'), deliveryKey: randomBytes(32).toString('base64') },
    });
    sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    await seedDemo(platform.graphqlUrl, logger);
    api = graphqlClient(platform.graphqlUrl);
    const session = await api.request(`mutation($i: LogInInput!) { logIn(input: $i) { accessToken } }`, { i: { email: DEMO.email, password: DEMO.password } });
    api.setToken(session.data!.logIn.accessToken);
  });
  afterAll(async () => {
    await sql?.end();
    await platform?.stop();
    await db?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const demoFiles = async () => (await sql.query<{ status: string }>(
    `select status from files.files where name = 'demo-sales.xlsx' order by id`)).rows.map((r) => r.status);
  const demoWorkflows = async () => Number((await sql.query(`select count(*) from workflows.workflows where name = 'Weekly sales summary'`)).rows[0].count);

  it('creates nothing again while the demo workbook is live', async () => {
    await seedDemo(platform.graphqlUrl, logger);
    expect(await demoFiles()).toEqual(['READY']);
    expect(await demoWorkflows()).toBe(1);
  });

  it('finds the demo workflow and workbook behind more than a page of newer ones', async () => {
    for (let i = 0; i < 101; i++) {
      const upload = await api.request(`mutation { createUpload(input: {name: "later-${i}.csv", size: 4}) { file { id } } }`);
      expect(upload.errors).toBeUndefined();
      const workflow = await api.request(`mutation($i: CreateWorkflowInput!) { createWorkflow(input: $i) { workflow { id } } }`,
        { i: { name: `Later ${i}`, steps: DEMO_STEPS } });
      expect(workflow.errors).toBeUndefined();
    }
    await seedDemo(platform.graphqlUrl, logger);
    expect(await demoFiles()).toEqual(['READY']);
    expect(await demoWorkflows()).toBe(1);
  });

  it('uploads the workbook again once it expired, or will within the hour', async () => {
    await sql.query(`update files.files set status = 'EXPIRED' where name = 'demo-sales.xlsx'`);
    await seedDemo(platform.graphqlUrl, logger);
    expect(await demoFiles()).toEqual(['EXPIRED', 'READY']);
    // Past its retention but not swept yet (the sweeper runs every few minutes): READY, yet about to go.
    await sql.query(`update files.files set created_at = now() - interval '23 hours 30 minutes' where name = 'demo-sales.xlsx' and status = 'READY'`);
    await seedDemo(platform.graphqlUrl, logger);
    expect(await demoFiles()).toEqual(['EXPIRED', 'READY', 'READY']);
    expect(await demoWorkflows()).toBe(1);
  });
});
