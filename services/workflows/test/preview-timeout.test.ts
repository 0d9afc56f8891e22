import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Principal } from '@rowline/kit';
import type { Storage } from '@rowline/storage';
import { createPreviewer } from '../src/domain/preview.js';
import type { WorkflowsDomain } from '../src/domain/workflows.js';

const principal = { kind: 'user', tenantId: '00000000-0000-4000-8000-000000000001', subject: 'ada', role: 'OWNER', scopes: [] } as unknown as Principal;
const FILE_ID = '00000000-0000-4000-8000-000000000002';
const STEPS = [{ type: 'sort', params: { sheet: 'Sales', by: [{ column: 'amount', direction: 'asc' }] } }];

describe('preview time limit', () => {
  it('ends a preview whose file never finishes arriving as BAD_USER_INPUT with engineCode CANCELLED, and destroys the stream', async () => {
    const stalled = new PassThrough();
    stalled.write('id,amount\n1,5\n'); // some bytes, then nothing, never an end
    const storage = { get: async () => stalled } as unknown as Storage;
    const preview = createPreviewer({
      domain: {} as WorkflowsDomain, storage, timeoutMs: 200,
      file: async () => ({ id: FILE_ID, name: 'Sales.csv', status: 'READY', storageKey: 'files/sales' }),
    });
    const started = Date.now();
    const failure = await preview({} as never, principal, { steps: STEPS, fileId: FILE_ID }).catch((err: unknown) => err);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(failure).toMatchObject({ code: 'BAD_USER_INPUT', details: { engineCode: 'CANCELLED' } });
    expect(stalled.destroyed).toBe(true);
  });

  it('does not tell the client what the storage said when the bytes cannot be read, and says to try again (UNAVAILABLE)', async () => {
    const storage = { get: async () => { throw new Error('ENOENT: /secret/data/dir/files/sales'); } } as unknown as Storage;
    const preview = createPreviewer({
      domain: {} as WorkflowsDomain, storage,
      file: async () => ({ id: FILE_ID, name: 'Sales.csv', status: 'READY', storageKey: 'files/sales' }),
    });
    const failure = await preview({} as never, principal, { steps: STEPS, fileId: FILE_ID }).catch((err: unknown) => err) as { code: string; message: string };
    expect(failure.code).toBe('UNAVAILABLE');
    expect(failure.message).toBe(`The input Sales.csv (${FILE_ID}) could not be read from storage; try the preview again`);
    expect(failure.message).not.toContain('/secret');
  });
});
