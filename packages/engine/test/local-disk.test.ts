import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineError, fromLocalDisk, previewWorkflow, XLSX_IN_MEMORY_BYTES } from '../src/index.js';
import { run } from './helpers.js';

/** Errors as Node makes them: an operating system's, with its `syscall` (and the path it names). */
const errno = (message: string, code: string, syscall: string) => Object.assign(new Error(message), { code, syscall, errno: -1 });
const DISK = errno('EACCES: permission denied, open \'/tmp/rowline-engine-K2Lh32/input.xlsx\'', 'EACCES', 'open');

describe('an error of the engine from the local disk (fromLocalDisk)', () => {
  it('is one with an operating system\'s error among its causes (the engine\'s temporary files)', () => {
    expect(fromLocalDisk(new EngineError('INTERNAL', 'the run failed: ENOSPC', { cause: errno('ENOSPC: no space left on device, write', 'ENOSPC', 'write') }))).toBe(true);
    expect(fromLocalDisk(new EngineError('UNSUPPORTED_FILE', 'cannot read big.xlsx: ...', { cause: new Error('wrapped', { cause: DISK }) }))).toBe(true);
    // What a preview throws unwrapped (previewWorkflow makes no INTERNAL of it).
    expect(fromLocalDisk(DISK)).toBe(true);
  });

  it('is not one whose causes are the file\'s content or a bug', () => {
    expect(fromLocalDisk(new EngineError('CORRUPT_FILE', 'cannot parse the csv file: Invalid Closing Quote', { cause: new Error('Invalid Closing Quote') }))).toBe(false);
    expect(fromLocalDisk(new EngineError('INTERNAL', 'the run failed: x', { cause: new TypeError('x') }))).toBe(false);
    expect(fromLocalDisk(new EngineError('MISSING_COLUMN', 'column "a" not found'))).toBe(false);
    expect(fromLocalDisk(undefined)).toBe(false);
  });
});

describe('a run or a preview whose temporary directory cannot be made', () => {
  let dir: string;
  const before = process.env.TMPDIR;
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'rowline-local-disk-')); });
  afterAll(async () => {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    await rm(dir, { recursive: true, force: true });
  });

  // A zip's first bytes, and a size past the in-memory bound: the engine spools the input at once.
  const spooled = () => ({ fileName: 'big.xlsx', size: XLSX_IN_MEMORY_BYTES + 1, open: () => Readable.from([Buffer.from('PK\u0003\u0004 not a whole zip')]) });

  it('fails with an error fromLocalDisk finds, where a file unreadable in itself fails with none', async () => {
    const blocked = join(dir, 'a-file');
    await writeFile(blocked, '');
    process.env.TMPDIR = blocked;
    const ran = await run([], spooled()).catch((e: unknown) => e);
    expect(ran).toMatchObject({ code: 'INTERNAL' });
    expect(fromLocalDisk(ran)).toBe(true);
    const previewed = await previewWorkflow({ steps: [], input: spooled(), limit: 5 }).catch((e: unknown) => e);
    expect(previewed).toBeInstanceOf(Error);
    expect(fromLocalDisk(previewed)).toBe(true);

    process.env.TMPDIR = dir;
    const corrupt = await run([], spooled()).catch((e: unknown) => e);
    expect(corrupt).toMatchObject({ code: 'CORRUPT_FILE' });
    expect(fromLocalDisk(corrupt)).toBe(false);
  });
});
