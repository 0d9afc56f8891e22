import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as engine from '@rowline/engine';
import { createLogger, type Principal } from '@rowline/kit';
import { createLocalStorage, type Storage } from '@rowline/storage';
import { createPreviewer } from '../src/domain/preview.js';
import type { WorkflowsDomain } from '../src/domain/workflows.js';

// The real engine, but for a test that makes its preview fail as it never should (its INTERNAL).
vi.mock('@rowline/engine', async (original) => {
  const actual = await original<typeof engine>();
  return { ...actual, previewWorkflow: vi.fn(actual.previewWorkflow) };
});

/**
 * A preview whose engine's temporary files fail on the service's disk: an xlsx past the engine's in-memory bound
 * (8 MiB), which it spools to a temporary file, while that file cannot be made. What the client reads is not the
 * workflow's error, nor the file's, and names no local path; the service's log keeps the error whole.
 */
const principal = { kind: 'user', tenantId: '00000000-0000-4000-8000-000000000001', subject: 'ada', role: 'OWNER', scopes: [] } as unknown as Principal;
const FILE_ID = '00000000-0000-4000-8000-000000000002';

let dir: string;
let storage: Storage;
const logged: string[] = [];
const logger = createLogger({ service: 'workflows-test', level: 'warn', destination: new Writable({ write(chunk, _enc, done) { logged.push(String(chunk)); done(); } }) });
const before = process.env.TMPDIR;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rowline-preview-local-disk-'));
  storage = createLocalStorage(join(dir, 'storage'));
  // A zip's first bytes, then past the in-memory bound: the engine spools it before it reads anything of it.
  const big = Buffer.alloc(engine.XLSX_IN_MEMORY_BYTES + 1024);
  big.write('PK\u0003\u0004', 0, 'latin1');
  await storage.put('t/files/big', Readable.from([big]));
});
afterAll(async () => {
  if (before === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = before;
  await rm(dir, { recursive: true, force: true });
});

const preview = () => createPreviewer({
  domain: {} as WorkflowsDomain, storage, logger,
  file: async (_, id) => ({ id, name: 'Big.xlsx', status: 'READY', storageKey: 't/files/big' }),
})({} as never, principal, { steps: [], fileId: FILE_ID }).catch((e: unknown) => e) as Promise<{ code: string; message: string; details: Record<string, unknown> }>;

const TEMPORARY = { code: 'UNAVAILABLE', message: 'A temporary file of the preview could not be written or read; try the preview again', details: { retryable: true } };

describe('a preview whose temporary file the local disk refuses', () => {
  it('answers UNAVAILABLE, to try again, where it answered BAD_USER_INPUT with the path (the file cannot be opened)', async () => {
    // Linux's PATH_MAX (4096 with its NUL): room for the engine's temporary directory (22 characters more), none for
    // the spooled file in it (11 more), whose open fails ENAMETOOLONG, naming the path; the engine tells it as its
    // own UNSUPPORTED_FILE, "cannot read Big.xlsx: ENAMETOOLONG: name too long, open '/tmp/...'".
    let deep = join(dir, 'deep');
    while (deep.length < 4070 - 201) deep = join(deep, 'd'.repeat(200));
    deep = join(deep, 'd'.repeat(4070 - deep.length - 1));
    await mkdir(deep, { recursive: true });
    process.env.TMPDIR = deep;
    const failure = await preview();
    expect(failure).toMatchObject(TEMPORARY);
    expect(failure.message).not.toMatch(/ENAMETOOLONG|rowline-engine|\//);
    // The log has it whole.
    expect(logged.some((l) => l.includes('ENAMETOOLONG') && l.includes(deep))).toBe(true);
  });

  it('answers the same when the temporary directory cannot be made (thrown as it is, not an engine error)', async () => {
    const blocked = join(dir, 'a-file');
    await writeFile(blocked, '');
    process.env.TMPDIR = blocked;
    expect(await preview()).toMatchObject(TEMPORARY);
  });

  it('still answers a file unreadable in itself as BAD_USER_INPUT, once the disk takes the temporary file', async () => {
    process.env.TMPDIR = dir;
    expect(await preview()).toMatchObject({ code: 'BAD_USER_INPUT', details: { engineCode: 'CORRUPT_FILE' } });
  });
});

describe('a preview that fails on the engine\'s INTERNAL', () => {
  it('is left to the API\'s internal error (not BAD_USER_INPUT with what the engine did not expect)', async () => {
    const bug = new engine.EngineError('INTERNAL', 'the run failed: Cannot read properties of undefined (reading \'columns\')');
    vi.mocked(engine.previewWorkflow).mockRejectedValueOnce(bug);
    expect(await preview()).toBe(bug);
  });
});
