import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCodes, owner, startDelivery, TENANT_A, TENANT_B, viewer, type Harness } from './support/harness.js';

let h: Harness;
beforeAll(async () => { h = await startDelivery(); });
afterAll(async () => { await h?.stop(); });

const REDELIVER = `mutation($id: ID!) { redeliver(id: $id) { id status attemptCount nextAttemptAt attempts { outcome } } }`;
const EXECUTION = '0193a000-0000-7000-8000-0000000000e9';

describe('redeliver', () => {
  it('puts a failed delivery back to PENDING, due now, its attempts kept', async () => {
    const id = await h.insertDelivery({ tenantId: TENANT_A, executionId: EXECUTION, attempts: 3 });
    const result = await h.gql(owner(TENANT_A), REDELIVER, { id });
    expect(result.errors).toBeUndefined();
    expect(result.data.redeliver).toMatchObject({ id, status: 'PENDING', attemptCount: 0, attempts: [{ outcome: 'FAILED' }, { outcome: 'FAILED' }, { outcome: 'FAILED' }] });
    expect(result.data.redeliver.nextAttemptAt).not.toBeNull();
  });

  it('answers CONFLICT for a delivery that is still waiting to be sent', async () => {
    const id = await h.insertDelivery({ tenantId: TENANT_A, executionId: EXECUTION });
    const result = await h.gql(owner(TENANT_A), REDELIVER, { id });
    expect(errorCodes(result)).toEqual(['CONFLICT']);
    expect(result.errors![0]!.message).toBe('The delivery is already waiting to be sent');
  });

  it('answers NOT_FOUND for another tenant\'s delivery and a malformed id, FORBIDDEN for a viewer', async () => {
    const id = await h.insertDelivery({ tenantId: TENANT_A, executionId: EXECUTION, attempts: 1 });
    expect(errorCodes(await h.gql(owner(TENANT_B), REDELIVER, { id }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await h.gql(owner(TENANT_A), REDELIVER, { id: 'nope' }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await h.gql(viewer(TENANT_A), REDELIVER, { id }))).toEqual(['FORBIDDEN']);
    const unchanged = await h.gql(owner(TENANT_A), `query($id: ID!) { delivery(id: $id) { status attemptCount } }`, { id });
    expect(unchanged.data.delivery).toEqual({ status: 'FAILED', attemptCount: 1 });
  });

  it('answers NOT_FOUND to testDestination for a malformed id', async () => {
    expect(errorCodes(await h.gql(owner(TENANT_A), `mutation { testDestination(id: "nope") { ok } }`))).toEqual(['NOT_FOUND']);
  });
});
