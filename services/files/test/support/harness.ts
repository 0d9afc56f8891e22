import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInternalTokens, createLogger, createOrm, INTERNAL_TOKEN_HEADER, type Principal, type Role } from '@rowline/kit';
import { createLocalStorage, type Storage } from '@rowline/storage';
import { createTestDatabase } from '@rowline/testing';
import { createFilesService, entities, migrations, SCHEMA } from '../../src/index.js';
import type { FilesConfig } from '../../src/env.js';
import type { InspectLimits } from '../../src/inspect/index.js';

export const TENANT_A = '0193a000-0000-7000-8000-00000000000a';
export const TENANT_B = '0193a000-0000-7000-8000-00000000000b';
export const PUBLIC_URL = 'https://files.example.test';
export const FILE_URL_SECRET = 'file-url-secret-for-tests-only-0123456789';
const INTERNAL_SECRET = 'internal-secret-for-tests-only-0123456789';

/**
 * The JSON answers of the files service's plain HTTP routes (README): an error, an upload's file, or an
 * internal lookup / artifact registration. Fields are declared present; the assertions check them.
 */
export type HttpReply = {
  error: { code: string; message: string; hint?: string };
  file: { id: string; status: string; size: number; sha256: string };
  id: string; name: string; status: string; kind: string; contentType: string; size: number;
  sha256: string; storageKey: string; downloadUrl: string;
};

export type As = { tenant: string; role?: Role; kind?: Principal['kind']; scopes?: string[] };

/**
 * One files service on its own database and storage directory, listening on a free port, with helpers to
 * call it the way the gateway (internal token) and clients (signed links) do.
 */
export async function startFiles(opts: { maxUploadBytes?: number; inspectLimits?: InspectLimits; storage?: Storage; env?: Partial<FilesConfig>; now?: () => Date } = {}) {
  const db = await createTestDatabase('files');
  const logger = createLogger({ service: 'files', level: 'silent' });
  const orm = await createOrm({ url: db.url, schema: SCHEMA, entities, migrations, logger });
  const storageDir = await mkdtemp(join(tmpdir(), 'files-test-'));
  const tokens = createInternalTokens(INTERNAL_SECRET);
  const storage = opts.storage ?? createLocalStorage(storageDir);
  const { server, sweeper } = await createFilesService({
    logger, orm, tokens, storage,
    env: { PUBLIC_URL, FILE_URL_SECRET, MAX_UPLOAD_BYTES: opts.maxUploadBytes ?? 200 * 1024 * 1024, ...opts.env },
    inspectLimits: opts.inspectLimits,
    ...(opts.now ? { now: opts.now } : {}),
  });
  const port = await server.listen(0);
  const base = `http://127.0.0.1:${port}`;

  const principal = (as: As): Principal => ({ kind: as.kind ?? 'user', tenantId: as.tenant, subject: 'user-1', role: as.role ?? 'MEMBER', scopes: as.scopes ?? [] });
  const tokenFor = (as: As | null) => (as ? tokens.sign(principal(as), 'files') : tokens.sign(null, 'files'));

  return {
    base,
    /** The service's own ORM: for rows written straight to the tables, and to count the statements a request sends. */
    orm,
    storageDir,
    storage,
    sweeper,
    /** The gateway proxies PUBLIC_URL/files/* here; tests call the service directly. */
    local: (url: string) => url.replace(PUBLIC_URL, base),
    async gql<T = any>(query: string, variables: Record<string, unknown>, as: As | null): Promise<{ data?: T; errors?: Array<{ message: string; extensions: Record<string, unknown> }> }> {
      const res = await fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [INTERNAL_TOKEN_HEADER]: await tokenFor(as) },
        body: JSON.stringify({ query, variables }),
      });
      return (await res.json()) as never;
    },
    async internal(method: 'GET' | 'POST', path: string, as: As | null, body?: unknown) {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { ...(as ? { [INTERNAL_TOKEN_HEADER]: await tokenFor(as) } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : null,
      });
      return { status: res.status, body: (await res.json()) as HttpReply };
    },
    async healthy(): Promise<boolean> {
      const res = await fetch(`${base}/healthz`);
      return res.ok && ((await res.json()) as { status: string }).status === 'ok';
    },
    /** Every regular file under the storage root (temporary `.partial` files included). */
    async storedFiles(): Promise<string[]> {
      const entries = await readdir(storageDir, { recursive: true, withFileTypes: true });
      return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(storageDir.length + 1));
    },
    async stop() {
      await server.close();
      await orm.close();
      await rm(storageDir, { recursive: true, force: true });
      await db.drop();
    },
  };
}
export type Files = Awaited<ReturnType<typeof startFiles>>;

const CREATE_UPLOAD = `mutation($input: CreateUploadInput!) {
  createUpload(input: $input) { uploadUrl expiresAt file { id name status size kind contentType } }
}`;

/** createUpload as tenant `as`, then PUT `bytes` to the link; returns the file id, the link and the PUT's answer. */
export async function upload(files: Files, as: As, name: string, bytes: Buffer, opts: { declaredSize?: number } = {}) {
  const created = await files.gql(CREATE_UPLOAD, { input: { name, contentType: 'application/octet-stream', size: opts.declaredSize ?? bytes.length } }, as);
  if (!created.data) throw new Error(`createUpload failed: ${JSON.stringify(created.errors)}`);
  const { file, uploadUrl } = created.data.createUpload;
  const res = await fetch(files.local(uploadUrl), { method: 'PUT', body: bytes, headers: { 'content-type': 'application/octet-stream' } });
  return { id: file.id as string, uploadUrl: uploadUrl as string, status: res.status, body: (await res.json()) as HttpReply };
}

export const FILE_FIELDS = 'id name status size sha256 contentType rejectionReason kind createdAt downloadUrl sheets { name rowCount columns { name type } }';
