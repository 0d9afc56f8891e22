import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCodes, owner, startDelivery, TENANT_A, TENANT_B, viewer, type Harness } from './support/harness.js';

let h: Harness;
beforeAll(async () => { h = await startDelivery(); });
afterAll(async () => { await h?.stop(); });

const REDELIVER = `mutation($id: ID!) { redeliver(id: $id) { id status attemptCount nextAttemptAt attempts { outcome } } }`;
const STATE = `query($id: ID!) { delivery(id: $id) { status attemptCount } }`;
const EXECUTION = '0193a000-0000-7000-8000-0000000000e9';

/** A real webhook destination of the tenant (redeliver needs one that exists and is enabled). */
async function destination(tenantId: string): Promise<string> {
  const created = await h.gql(owner(tenantId), `mutation($input: CreateDestinationInput!) { createDestination(input: $input) { id } }`, {
    input: { name: `Hook ${Math.random()}`, kind: 'WEBHOOK', config: { url: 'https://hooks.example.com/rowline', secret: 'whsec_redeliver-test' } },
  });
  expect(created.errors).toBeUndefined();
  return created.data.createDestination.id;
}

describe('redeliver', () => {
  it('puts a failed delivery back to PENDING, due now, its attempts kept', async () => {
    const id = await h.insertDelivery({ tenantId: TENANT_A, executionId: EXECUTION, attempts: 3, destinationId: await destination(TENANT_A) });
    const result = await h.gql(owner(TENANT_A), REDELIVER, { id });
    expect(result.errors).toBeUndefined();
    expect(result.data.redeliver).toMatchObject({ id, status: 'PENDING', attemptCount: 0, attempts: [{ outcome: 'FAILED' }, { outcome: 'FAILED' }, { outcome: 'FAILED' }] });
    expect(result.data.redeliver.nextAttemptAt).not.toBeNull();
  });

  it('answers CONFLICT for a delivery that is still waiting to be sent', async () => {
    const id = await h.insertDelivery({ tenantId: TENANT_A, executionId: EXECUTION, destinationId: await destination(TENANT_A) });
    const result = await h.gql(owner(TENANT_A), REDELIVER, { id });
    expect(errorCodes(result)).toEqual(['CONFLICT']);
    expect(result.errors![0]!.message).toBe('The delivery is already waiting to be sent');
    expect(result.errors![0]!.extensions.reason).toBe('NOT_FINISHED');
  });

  it('refuses at once, as CONFLICT DESTINATION_DELETED, a delivery whose destination was deleted', async () => {
    const destinationId = await destination(TENANT_A);
    const id = await h.insertDelivery({ tenantId: TENANT_A, executionId: EXECUTION, attempts: 2, destinationId });
    const deleted = await h.gql(owner(TENANT_A), `mutation($id: ID!) { deleteDestination(id: $id) }`, { id: destinationId });
    expect(deleted.errors).toBeUndefined();

    const result = await h.gql(owner(TENANT_A), REDELIVER, { id });
    expect(errorCodes(result)).toEqual(['CONFLICT']);
    expect(result.errors![0]!.message).toBe('The delivery\'s destination was deleted, so it cannot be sent again');
    expect(result.errors![0]!.extensions).toMatchObject({ reason: 'DESTINATION_DELETED', destinationId });
    expect((await h.gql(owner(TENANT_A), STATE, { id })).data.delivery).toEqual({ status: 'FAILED', attemptCount: 2 });
  });

  it('refuses a delivery whose destination is disabled as CONFLICT DESTINATION_DISABLED, and sends it once it is enabled again', async () => {
    const destinationId = await destination(TENANT_A);
    const id = await h.insertDelivery({ tenantId: TENANT_A, executionId: EXECUTION, attempts: 1, destinationId });
    const ENABLE = `mutation($id: ID!, $on: Boolean!) { updateDestination(input: {id: $id, enabled: $on}) { enabled } }`;
    expect((await h.gql(owner(TENANT_A), ENABLE, { id: destinationId, on: false })).errors).toBeUndefined();

    const result = await h.gql(owner(TENANT_A), REDELIVER, { id });
    expect(errorCodes(result)).toEqual(['CONFLICT']);
    expect(result.errors![0]!.message).toBe('The delivery\'s destination is disabled: enable it (updateDestination) to send again');
    expect(result.errors![0]!.extensions).toMatchObject({ reason: 'DESTINATION_DISABLED', destinationId });
    expect((await h.gql(owner(TENANT_A), STATE, { id })).data.delivery).toEqual({ status: 'FAILED', attemptCount: 1 });

    expect((await h.gql(owner(TENANT_A), ENABLE, { id: destinationId, on: true })).errors).toBeUndefined();
    const again = await h.gql(owner(TENANT_A), REDELIVER, { id });
    expect(again.errors).toBeUndefined();
    expect(again.data.redeliver).toMatchObject({ id, status: 'PENDING', attemptCount: 0 });
  });

  it('answers NOT_FOUND for another tenant\'s delivery and a malformed id, FORBIDDEN for a viewer', async () => {
    const id = await h.insertDelivery({ tenantId: TENANT_A, executionId: EXECUTION, attempts: 1, destinationId: await destination(TENANT_A) });
    expect(errorCodes(await h.gql(owner(TENANT_B), REDELIVER, { id }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await h.gql(owner(TENANT_A), REDELIVER, { id: 'nope' }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await h.gql(viewer(TENANT_A), REDELIVER, { id }))).toEqual(['FORBIDDEN']);
    expect((await h.gql(owner(TENANT_A), STATE, { id })).data.delivery).toEqual({ status: 'FAILED', attemptCount: 1 });
  });

  it('never lets another tenant\'s destination of the same id stand in for a deleted one', async () => {
    // B's delivery names A's live destination: redeliver reads destinations by B's tenant only, so it is gone for B.
    const id = await h.insertDelivery({ tenantId: TENANT_B, executionId: EXECUTION, attempts: 1, destinationId: await destination(TENANT_A) });
    const result = await h.gql(owner(TENANT_B), REDELIVER, { id });
    expect(errorCodes(result)).toEqual(['CONFLICT']);
    expect(result.errors![0]!.extensions.reason).toBe('DESTINATION_DELETED');
  });

  it('answers NOT_FOUND to testDestination for a malformed id', async () => {
    expect(errorCodes(await h.gql(owner(TENANT_A), `mutation { testDestination(id: "nope") { ok } }`))).toEqual(['NOT_FOUND']);
  });
});
