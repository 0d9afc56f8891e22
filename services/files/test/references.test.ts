import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '@rowline/kit';
import { captureSql, selects } from '@rowline/testing/plans';
import { TENANT_A, TENANT_B, startFiles, type Files } from './support/harness.js';

/**
 * `File` as the gateway asks for it: one `_entities` call naming the inputs and artifacts of a page of runs
 * (`executions { inputFile { name } artifacts { name downloadUrl } }`). Each representation must answer what it answers
 * alone (the file, a deleted one's tombstone included, or NOT_FOUND at its own index), and the call must cost one
 * statement however many files it names.
 */

let files: Files;
/** Tenant A's 30 READY files; then one it deleted (a tombstone) and one still UPLOADING. */
const ready = Array.from({ length: 30 }, () => newId());
const [deleted, uploading] = [newId(), newId()];
/** Tenant B's own file. */
const theirs = newId();

const sql = (query: string, params: unknown[] = []) => files.orm.em.fork().getConnection().execute(query, params);
const insertFile = (tenantId: string, id: string, status: string) => sql(`insert into files.files
  (id, tenant_id, name, size, sha256, status, kind, storage_key, created_by, created_at, updated_at)
  values (?, ?, ?, 4, ?, ?, 'INPUT', ?, 'user-1', now(), now())`, [id, tenantId, `secret of ${tenantId}.csv`, 'ab'.repeat(32), status, `${tenantId}/files/${id}`]);

beforeAll(async () => {
  files = await startFiles();
  for (const id of ready) await insertFile(TENANT_A, id, 'READY');
  await insertFile(TENANT_A, deleted, 'DELETED');
  await insertFile(TENANT_A, uploading, 'UPLOADING');
  await insertFile(TENANT_B, theirs, 'READY');
});
afterAll(async () => { await files?.stop(); });

const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) { ... on File { id name status size kind sha256 } } }`;
const refs = (ids: string[]) => ids.map((id) => ({ __typename: 'File', id }));
type Result = Awaited<ReturnType<Files['gql']>>;
/** Each item of `_entities`: its data, or the codes of the errors at its index (and the data, null). */
const answers = (result: Result) => (result.data!._entities as unknown[]).map((data, i) => {
  const errors = (result.errors ?? []).filter((e: any) => e.path?.[1] === i);
  return errors.length ? { data, errors: errors.map((e) => e.extensions.code) } : { data };
});
const asA = { tenant: TENANT_A, role: 'VIEWER' as const };

describe('File references of one _entities call', () => {
  it('answer each file what it answers alone: tombstones too, NOT_FOUND at its index for the rest, the others unharmed', async () => {
    const ids = [ready[0]!, theirs, newId(), 'not-an-id', ready[1]!.toUpperCase(), deleted, uploading, ready[0]!, '', ready[2]!];
    const together = answers(await files.gql(ENTITIES, { r: refs(ids) }, asA));
    const alone = await Promise.all(ids.map(async (id) => answers(await files.gql(ENTITIES, { r: refs([id]) }, asA))[0]));
    expect(together).toEqual(alone);
    expect(together.map((a) => a.errors?.[0] ?? (a.data as any).status)).toEqual([
      'READY', 'NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND', 'READY', 'DELETED', 'UPLOADING', 'READY', 'NOT_FOUND', 'READY',
    ]);
    expect(together[4]!.data).toEqual({ id: ready[1], name: `secret of ${TENANT_A}.csv`, status: 'READY', size: 4, kind: 'INPUT', sha256: 'ab'.repeat(32) });
  });

  it('read 30 files in one statement', async () => {
    const statements = async (ids: string[]) => {
      const { result, statements: sent } = await captureSql(files.orm as never, () => files.gql(ENTITIES, { r: refs(ids) }, asA));
      expect(result.errors).toBeUndefined();
      expect(result.data._entities).toHaveLength(ids.length);
      return selects(sent);
    };
    expect(await statements(ready)).toHaveLength(1);
    expect(await statements(ready.slice(0, 5))).toHaveLength(1);
  });
});

describe('File references across tenants', () => {
  it('answer another tenant\'s files NOT_FOUND, batched beside the caller\'s own', async () => {
    const result = await files.gql(ENTITIES, { r: refs([ready[0]!, theirs, deleted, ready[1]!]) }, { tenant: TENANT_B, role: 'VIEWER' });
    expect(answers(result).map((a) => a.errors?.[0] ?? (a.data as any).id)).toEqual(['NOT_FOUND', theirs, 'NOT_FOUND', 'NOT_FOUND']);
    expect(JSON.stringify(result)).not.toContain(`secret of ${TENANT_A}`);
  });
});
