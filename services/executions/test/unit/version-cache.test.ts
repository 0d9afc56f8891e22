import { describe, expect, it, vi } from 'vitest';
import { AppError, type Principal } from '@rowline/kit';
import { cachedVersions } from '../../src/domain/version-cache.js';

const tenant = (tenantId: string): Principal => ({ kind: 'user', tenantId, subject: 'alice', role: 'MEMBER', scopes: [] });
const ACME = tenant('acme');
const OTHER = tenant('other');
const version = (id: string) => ({ id, workflowId: 'w1', steps: [] });

describe('cached workflow versions', () => {
  it('ask the workflows service once per tenant and version', async () => {
    const lookup = vi.fn(async (_p: Principal, id: string) => version(id));
    const versions = cachedVersions(lookup);
    expect(await versions(ACME, 'v1')).toEqual(version('v1'));
    expect(await versions({ ...ACME, subject: 'bob' }, 'v1')).toEqual(version('v1'));
    expect(lookup).toHaveBeenCalledTimes(1);
  });

  it('ask again for another tenant, so its answer (NOT_FOUND for a version it does not own) is its own', async () => {
    const lookup = vi.fn(async (p: Principal, id: string) => {
      if (p.tenantId !== 'acme') throw new AppError('NOT_FOUND', `Workflow version ${id} not found`);
      return version(id);
    });
    const versions = cachedVersions(lookup);
    await versions(ACME, 'v1');
    await expect(versions(OTHER, 'v1')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(lookup).toHaveBeenCalledTimes(2);
  });

  it('never remember a failure', async () => {
    const lookup = vi.fn()
      .mockRejectedValueOnce(new AppError('UNAVAILABLE', 'workflows answered 503'))
      .mockResolvedValueOnce(version('v1'));
    const versions = cachedVersions(lookup);
    await expect(versions(ACME, 'v1')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(await versions(ACME, 'v1')).toEqual(version('v1'));
    expect(lookup).toHaveBeenCalledTimes(2);
  });

  it('share one call between concurrent asks for one version', async () => {
    const lookup = vi.fn(async (_p: Principal, id: string) => version(id));
    const versions = cachedVersions(lookup);
    await Promise.all([versions(ACME, 'v1'), versions(ACME, 'v1'), versions(ACME, 'v1')]);
    expect(lookup).toHaveBeenCalledTimes(1);
  });

  it('forget the least recently used version beyond their size', async () => {
    const lookup = vi.fn(async (_p: Principal, id: string) => version(id));
    const versions = cachedVersions(lookup, 2);
    await versions(ACME, 'v1');
    await versions(ACME, 'v2');
    await versions(ACME, 'v1');
    await versions(ACME, 'v3');
    await versions(ACME, 'v1');
    expect(lookup).toHaveBeenCalledTimes(3);
    await versions(ACME, 'v2');
    expect(lookup).toHaveBeenCalledTimes(4);
  });
});
