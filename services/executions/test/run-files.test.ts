import { randomUUID } from 'node:crypto';
import { readFile, rename, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { kafkaServer } from '@rowline/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codesOf, startExecutionsPlatform, until, type ExecutionsPlatform, type Tenant } from './support/platform.js';

/**
 * Runs given other files besides their input (`startExecution(input: {files})`): this week's sales joined to the
 * master price list, end to end on real Kafka and Postgres: accepted, stored, run by the worker, retried.
 */
let p: ExecutionsPlatform;
let acme: Tenant;
let other: Tenant;
let sales: string;
let prices: string;
let joinVersion: string;

// A title above the header (the first step says where it is), three orders; the price list has more rows than
// the orders, so neither the title nor the price list may pass for the rows the run processed.
const SALES = 'Orders of week 48\nexported by the shop\norder_id,sku,qty\n1,A-1,2\n2,B-2,3\n3,Z-9,1\n';
const PRICES = 'sku,price,name\nA-1,1.5,Apple\nB-2,4,Banana\nC-3,9,Cherry\nD-4,2,Date\nE-5,3,Elder\n';
const JOIN = [
  { type: 'header_row', params: { find: { values: ['order_id', 'sku'] } } },
  { type: 'lookup', params: { from: { file: 'prices', sheet: 'prices' }, on: [{ left: 'sku', right: 'sku' }], columns: [{ column: 'price' }, { column: 'name' }] } },
  { type: 'compute_column', params: { column: 'total', expression: 'qty * price' } },
  { type: 'output', params: { artifacts: [{ name: 'priced.csv', format: 'csv', sheets: [{ from: 'sales' }] }] } },
];
const RUN_FIELDS = 'id status files { key file { id } }';
const START = `mutation($i: StartExecutionInput!) { startExecution(input: $i) { ${RUN_FIELDS} } }`;
const RETRY = `mutation($i: RetryExecutionInput!) { retryExecution(input: $i) { ${RUN_FIELDS} retryOf } }`;

async function uploadCsv(t: Tenant, name: string, text: string, put = true): Promise<string> {
  const bytes = Buffer.from(text);
  const res = await t.api.request(`mutation($i: CreateUploadInput!) { createUpload(input: $i) { file { id } uploadUrl } }`,
    { i: { name, contentType: 'text/csv', size: bytes.length } });
  if (res.errors) throw new Error(`createUpload failed: ${JSON.stringify(res.errors)}`);
  if (put) {
    const answer = await fetch(res.data!.createUpload.uploadUrl, { method: 'PUT', body: bytes });
    if (answer.status !== 200) throw new Error(`upload answered ${answer.status}`);
    const id = res.data!.createUpload.file.id as string;
    await until(`${name} to be READY`, async () => {
      const f = await t.api.request('query($id: ID!) { file(id: $id) { status } }', { id });
      return f.data?.file?.status === 'READY' ? true : undefined;
    });
  }
  return res.data!.createUpload.file.id as string;
}

const storageKeyOf = async (fileId: string) =>
  (await p.sql<{ storage_key: string }>('select "storage_key" from "files"."files" where "id" = ?', [fileId]))[0]!.storage_key;
const artifactText = async (fileId: string) => readFile(join(p.storageDir, await storageKeyOf(fileId)), 'utf8');
/**
 * Makes storage fail to give a file, other than as missing: a symlink to itself in its place (the local
 * storage's open fails with ELOOP, naming the path), as a disk or an S3 endpoint that errs would. Answers the
 * undo.
 */
async function unreadable(fileId: string): Promise<() => Promise<void>> {
  const path = join(p.storageDir, await storageKeyOf(fileId));
  await rename(path, `${path}.away`);
  await symlink(path, path);
  return async () => { await rm(path); await rename(`${path}.away`, path); };
}
const runsOf = (tenantId: string) => p.sql<{ id: string }>('select "id" from "executions"."executions" where "tenant_id" = ?', [tenantId]);

beforeAll(async () => {
  const { brokers } = await kafkaServer();
  p = await startExecutionsPlatform({ kafkaBrokers: brokers, executions: { retryBackoffMs: 100, maxAttempts: 2 } });
  [acme, other] = [await p.tenant('Acme'), await p.tenant('Other Co')];
  sales = await uploadCsv(acme, 'sales.csv', SALES);
  prices = await uploadCsv(acme, 'prices.csv', PRICES);
  ({ versionId: joinVersion } = await acme.workflow(JOIN, 'Price the week'));
});
afterAll(async () => { await p?.stop(); });

describe('a run given a lookup file', () => {
  it('joins the input to the file in the worker, keeps the file with the run, and counts the input\'s data rows as processed', async () => {
    const res = await acme.api.request(START, { i: { workflowVersionId: joinVersion, fileId: sales, idempotencyKey: randomUUID(), files: [{ key: 'prices', fileId: prices }] } });
    expect(res.errors).toBeUndefined();
    expect(res.data.startExecution.files).toEqual([{ key: 'prices', file: { id: prices } }]);
    const run = await acme.ended(res.data.startExecution.id);
    expect(run.error).toBeNull();
    expect(run.status).toBe('SUCCEEDED');
    expect(run.artifacts.map((a: { name: string }) => a.name)).toEqual(['priced.csv']);
    expect((await artifactText(run.artifacts[0].id)).trim().split(/\r?\n/)).toEqual([
      'order_id,sku,qty,price,name,total', '1,A-1,2,1.5,Apple,3', '2,B-2,3,4,Banana,12', '3,Z-9,1,,,',
    ]);
    const read = await acme.api.request(`query($id: ID!) { execution(id: $id) { files { key file { id name } } progress { rowsProcessed } steps { rowsIn } } }`, { id: run.id });
    expect(read.errors).toBeUndefined();
    expect(read.data.execution.files).toEqual([{ key: 'prices', file: { id: prices, name: 'prices.csv' } }]);
    // Three orders: not the header_row step's rowsIn (the title rows too), not the price list's five rows.
    expect(read.data.execution.steps[0].rowsIn).toBe(5);
    expect(read.data.execution.progress.rowsProcessed).toBe(3);
  });

  it('answers an empty files list for a run given none', async () => {
    const { versionId } = await acme.workflow();
    const xlsx = await acme.upload();
    const res = await acme.api.request(START, { i: { workflowVersionId: versionId, fileId: xlsx, idempotencyKey: randomUUID() } });
    expect(res.errors).toBeUndefined();
    expect(res.data.startExecution.files).toEqual([]);
    const [row] = await p.sql<{ files: unknown }>('select "files" from "executions"."executions" where "id" = ?', [res.data.startExecution.id]);
    expect(row!.files).toBeNull();
  });

  it('retries with the same files', async () => {
    const first = await acme.ended(await acme.run({ workflowVersionId: joinVersion, fileId: sales, files: [{ key: 'prices', fileId: prices }] }));
    expect(first.status).toBe('SUCCEEDED');
    const retried = await acme.api.request(RETRY, { i: { executionId: first.id } });
    expect(retried.errors).toBeUndefined();
    expect(retried.data.retryExecution).toMatchObject({ retryOf: first.id, files: [{ key: 'prices', file: { id: prices } }] });
    const again = await acme.ended(retried.data.retryExecution.id);
    expect(again.status).toBe('SUCCEEDED');
    expect(await artifactText(again.artifacts[0].id)).toContain('2,B-2,3,4,Banana,12');
  });

  it('retries on the latest version with the files it still reads, and refuses one that reads a file the run was not given', async () => {
    const { workflowId, versionId } = await acme.workflow(JOIN, 'Price the week, then change');
    const first = await acme.ended(await acme.run({ workflowVersionId: versionId, fileId: sales, files: [{ key: 'prices', fileId: prices }] }));
    expect(first.status).toBe('SUCCEEDED');
    const save = (steps: unknown[], base: string) => acme.api.request(`mutation($i: SaveWorkflowVersionInput!) { saveWorkflowVersion(input: $i) { id } }`,
      { i: { workflowId, baseVersionId: base, steps } });
    // The latest reads another file, "rates": the old run was not given it.
    const withRates = await save([...JOIN.slice(0, 2), { type: 'lookup', params: { from: { file: 'rates' }, on: [{ left: 'sku', right: 'sku' }], columns: [{ column: 'rate' }] } }, ...JOIN.slice(2)], versionId);
    expect(withRates.errors).toBeUndefined();
    const refused = await acme.api.request(RETRY, { i: { executionId: first.id, useLatestVersion: true } });
    expect(codesOf(refused)).toEqual(['BAD_USER_INPUT']);
    expect(refused.errors![0]!.extensions).toMatchObject({ missingKeys: ['rates'] });
    // The latest reads no file at all: the run's price list is left out of the retry.
    const plain = await save([{ type: 'header_row', params: { row: 3 } }, { type: 'output', params: { artifacts: [{ name: 'plain.csv', format: 'csv', sheets: [{ from: 'sales' }] }] } }], withRates.data.saveWorkflowVersion.id);
    expect(plain.errors).toBeUndefined();
    const retried = await acme.api.request(RETRY, { i: { executionId: first.id, useLatestVersion: true } });
    expect(retried.errors).toBeUndefined();
    expect(retried.data.retryExecution).toMatchObject({ retryOf: first.id, files: [] });
    expect((await acme.ended(retried.data.retryExecution.id)).status).toBe('SUCCEEDED');
  });

  it('retries on the latest version that no longer reads a file deleted since: the file it leaves out is not looked up', async () => {
    const gone = await uploadCsv(acme, 'prices.csv', PRICES); // the lookup reads its sheet "prices"
    const { workflowId, versionId } = await acme.workflow(JOIN, 'Price the week, then drop the price list');
    const first = await acme.ended(await acme.run({ workflowVersionId: versionId, fileId: sales, files: [{ key: 'prices', fileId: gone }] }));
    expect(first.status).toBe('SUCCEEDED');
    const plain = await acme.api.request(`mutation($i: SaveWorkflowVersionInput!) { saveWorkflowVersion(input: $i) { id } }`, { i: {
      workflowId, baseVersionId: versionId,
      steps: [{ type: 'header_row', params: { row: 3 } }, { type: 'output', params: { artifacts: [{ name: 'plain.csv', format: 'csv', sheets: [{ from: 'sales' }] }] } }],
    } });
    expect(plain.errors).toBeUndefined();
    const deleted = await acme.api.request('mutation($id: ID!) { deleteFile(id: $id) }', { id: gone });
    expect(deleted.errors).toBeUndefined();
    // The latest version reads no file: the deleted price list is left out, not a reason to refuse the retry.
    const retried = await acme.api.request(RETRY, { i: { executionId: first.id, useLatestVersion: true } });
    expect(retried.errors).toBeUndefined();
    expect(retried.data.retryExecution).toMatchObject({ retryOf: first.id, files: [] });
    expect((await acme.ended(retried.data.retryExecution.id)).status).toBe('SUCCEEDED');
    // With the old version, which reads it, the deleted file still refuses the retry.
    const refused = await acme.api.request(RETRY, { i: { executionId: first.id } });
    expect(codesOf(refused)).not.toEqual([]);
  });

  it('fails a run whose lookup file is gone from storage at once, FILE_NOT_FOUND naming its key, without retrying it', async () => {
    const doomed = await uploadCsv(acme, 'prices-gone.csv', PRICES);
    const key = await storageKeyOf(doomed);
    // Gone from storage after the files service said READY (deleteFile, or the expiry sweeper, after acceptance).
    await rename(join(p.storageDir, key), join(p.storageDir, `${key}.away`));
    try {
      const run = await acme.ended(await acme.run({ workflowVersionId: joinVersion, fileId: sales, files: [{ key: 'prices', fileId: doomed }] }));
      // The lookup (step 1) reads it. No attempt brings a deleted file back: none was retried.
      expect(run).toMatchObject({ status: 'FAILED', attempt: 1, error: { code: 'FILE_NOT_FOUND', step: 1 } });
      expect(run.logs.filter((l: { message: string }) => /^Attempt \d failed/.test(l.message))).toEqual([]);
      // The error names the lookup's file by its key (not the input, which storage gave): the user knows what to replace.
      expect(run.error.message).toBe(`cannot open prices-gone.csv: the run's file "prices" (${doomed}) is no longer in storage: it was deleted or expired after the run was accepted`);
      expect(run.error.message).not.toContain(key);
    } finally {
      await rename(join(p.storageDir, `${key}.away`), join(p.storageDir, key));
    }
  });

  it('fails a run whose input is gone from storage at once, FILE_NOT_FOUND naming it', async () => {
    const doomed = await uploadCsv(acme, 'sales.csv', SALES); // its sheet is the "sales" the output names
    const key = await storageKeyOf(doomed);
    await rename(join(p.storageDir, key), join(p.storageDir, `${key}.away`));
    try {
      const run = await acme.ended(await acme.run({ workflowVersionId: joinVersion, fileId: doomed, files: [{ key: 'prices', fileId: prices }] }));
      expect(run).toMatchObject({ status: 'FAILED', attempt: 1, error: { code: 'FILE_NOT_FOUND', step: null } });
      expect(run.error.message).toBe(`cannot open sales.csv: the input (${doomed}) is no longer in storage: it was deleted or expired after the run was accepted`);
    } finally {
      await rename(join(p.storageDir, `${key}.away`), join(p.storageDir, key));
    }
  });
});

describe('a run whose files storage cannot give', () => {
  it('says which file and why, in its error and its logs, and never where storage keeps it: the input and a lookup file alike', async () => {
    const input = await uploadCsv(acme, 'sales.csv', SALES); // its sheet is the "sales" the output names
    const table = await uploadCsv(acme, 'prices-away.csv', PRICES);
    const cases = [
      { away: input, fileId: input, lookup: prices, named: `cannot open sales.csv: the input (${input}) could not be read from storage` },
      { away: table, fileId: sales, lookup: table, named: `cannot open prices-away.csv: the run's file "prices" (${table}) could not be read from storage` },
    ];
    for (const { away, fileId, lookup, named } of cases) {
      const restore = await unreadable(away);
      try {
        const run = await acme.ended(await acme.run({ workflowVersionId: joinVersion, fileId, files: [{ key: 'prices', fileId: lookup }] }));
        // Storage failing (not missing) is transient: retried, then FAILED after the last attempt.
        expect(run).toMatchObject({ status: 'FAILED', attempt: 2, error: { code: 'INTERNAL' } });
        expect(run.error.message).toBe(`The run failed 2 times: ${named}`);
        const texts = [run.error.message, ...run.logs.map((l: { message: string }) => l.message)];
        expect(texts.filter((t) => t.startsWith(`Attempt 1 failed: ${named};`))).toHaveLength(1);
        // Neither the storage key (tenant and layout) nor the storage's own message (here a path) reaches the user.
        for (const text of texts) {
          expect(text).not.toContain(await storageKeyOf(away));
          expect(text).not.toContain(p.storageDir);
          expect(text).not.toContain(`${acme.tenantId}/`);
          expect(text).not.toMatch(/ELOOP|No object at/);
        }
      } finally {
        await restore();
      }
    }
  });
});

describe('startExecution\'s files are checked before anything is started', () => {
  const start = (t: Tenant, files: unknown, extra: Record<string, unknown> = {}) =>
    t.api.request(START, { i: { workflowVersionId: joinVersion, fileId: sales, idempotencyKey: randomUUID(), files, ...extra } });
  const startedNothing = async (before: number) => expect(await runsOf(acme.tenantId)).toHaveLength(before);

  it('refuses a version whose steps read a file not given, naming its key', async () => {
    const before = (await runsOf(acme.tenantId)).length;
    for (const files of [undefined, []]) {
      const res = await start(acme, files);
      expect(codesOf(res)).toEqual(['BAD_USER_INPUT']);
      expect(res.errors![0]!.message).toContain('"prices"');
      expect(res.errors![0]!.extensions).toMatchObject({ field: 'files', missingKeys: ['prices'] });
    }
    await startedNothing(before);
  });

  it('refuses a file no step reads, a key given twice, more than 10 files, and a blank key', async () => {
    const before = (await runsOf(acme.tenantId)).length;
    const unused = await start(acme, [{ key: 'prices', fileId: prices }, { key: 'rates', fileId: prices }]);
    expect(codesOf(unused)).toEqual(['BAD_USER_INPUT']);
    expect(unused.errors![0]!.extensions).toMatchObject({ unusedKeys: ['rates'] });
    expect(codesOf(await start(acme, [{ key: 'prices', fileId: prices }, { key: 'prices', fileId: sales }]))).toEqual(['BAD_USER_INPUT']);
    expect(codesOf(await start(acme, Array.from({ length: 11 }, (_, i) => ({ key: `k${i}`, fileId: prices }))))).toEqual(['BAD_USER_INPUT']);
    expect(codesOf(await start(acme, [{ key: '', fileId: prices }]))).toEqual(['BAD_USER_INPUT']);
    await startedNothing(before);
  });

  it('names the keys given that no step reads beside those missing, and the one the steps read when a given key is close to it', async () => {
    const before = (await runsOf(acme.tenantId)).length;
    for (const given of ['Prices', 'price', 'prcies']) {
      const res = await start(acme, [{ key: given, fileId: prices }]);
      expect(codesOf(res)).toEqual(['BAD_USER_INPUT']);
      expect(res.errors![0]!.message).toBe(`The workflow's steps read a file not given to the run: "prices"; the file given as "${given}" no step reads: did you mean "prices" for "${given}"?`);
      expect(res.errors![0]!.extensions).toMatchObject({ field: 'files', missingKeys: ['prices'], unusedKeys: [given], suggestions: [{ given, key: 'prices' }] });
    }
    const far = await start(acme, [{ key: 'rates', fileId: prices }]);
    expect(far.errors![0]!.message).toBe('The workflow\'s steps read a file not given to the run: "prices"; the file given as "rates" no step reads');
    expect(far.errors![0]!.extensions).toMatchObject({ missingKeys: ['prices'], unusedKeys: ['rates'], suggestions: [] });
    await startedNothing(before);
  });

  it('counts a key\'s characters as the engine\'s schema does (code points): a key the version reads is accepted, one past 200 is not', async () => {
    // 150 emoji: 150 characters to the engine (which saved the step), 300 UTF-16 units to String.length.
    const key = '\u{1F600}'.repeat(150);
    const steps = [JOIN[0], { ...JOIN[1], params: { ...JOIN[1]!.params, from: { file: key, sheet: 'prices' } } }, ...JOIN.slice(2)];
    const { versionId } = await acme.workflow(steps, 'Price the week by emoji');
    const res = await start(acme, [{ key, fileId: prices }], { workflowVersionId: versionId });
    expect(res.errors).toBeUndefined();
    expect((await acme.ended(res.data.startExecution.id)).status).toBe('SUCCEEDED');
    expect(codesOf(await start(acme, [{ key: '\u{1F600}'.repeat(201), fileId: prices }], { workflowVersionId: versionId }))).toEqual(['BAD_USER_INPUT']);
  });

  it('answers NOT_FOUND for another tenant\'s file, or one that does not exist, and starts nothing', async () => {
    const theirs = await uploadCsv(other, 'their-prices.csv', PRICES);
    const before = (await runsOf(acme.tenantId)).length;
    for (const fileId of [theirs, randomUUID(), 'not-an-id']) {
      expect(codesOf(await start(acme, [{ key: 'prices', fileId }]))).toEqual(['NOT_FOUND']);
    }
    await startedNothing(before);
  });

  it('refuses a file that is not READY', async () => {
    const uploading = await uploadCsv(acme, 'half.csv', PRICES, false);
    const before = (await runsOf(acme.tenantId)).length;
    const res = await start(acme, [{ key: 'prices', fileId: uploading }]);
    expect(codesOf(res)).toEqual(['BAD_USER_INPUT']);
    expect(res.errors![0]!.extensions).toMatchObject({ field: 'files', fileStatus: 'UPLOADING' });
    await startedNothing(before);
  });

  it('answers the same run for the same key and files, and CONFLICT for the same key with other files', async () => {
    const key = randomUUID();
    const otherPrices = await uploadCsv(acme, 'prices-2.csv', PRICES);
    const first = await start(acme, [{ key: 'prices', fileId: prices }], { idempotencyKey: key });
    expect(first.errors).toBeUndefined();
    const same = await start(acme, [{ key: 'prices', fileId: prices }], { idempotencyKey: key });
    expect(same.data.startExecution.id).toBe(first.data.startExecution.id);
    expect(codesOf(await start(acme, [{ key: 'prices', fileId: otherPrices }], { idempotencyKey: key }))).toEqual(['CONFLICT']);
    // Without the file: the key's run is not this request (the version reads "prices"), whatever the check says.
    expect(codesOf(await start(acme, undefined, { idempotencyKey: key }))).toEqual(['CONFLICT']);
    expect(await p.sql('select "id" from "executions"."executions" where "idempotency_key" = ?', [key])).toHaveLength(1);
  });
});
