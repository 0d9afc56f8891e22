import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId, systemEm } from '@rowline/kit';
import { DestinationEntity, RouteEntity } from '../src/store/entities.js';
import { createEmailTransport } from '../src/transports/email.js';
import { TransportError } from '../src/transports/errors.js';
import { errorCodes, owner, startDelivery, TENANT_A, TENANT_B, type Harness } from './support/harness.js';

const CREATE = `mutation($input: CreateDestinationInput!) { createDestination(input: $input) { id kind enabled } }`;
const UPDATE = `mutation($input: UpdateDestinationInput!) { updateDestination(input: $input) { name enabled config } }`;
const EMAIL_CONFIG = { to: ['finance@example.com'], subject: 'Monthly report' };
const ATTACH = `mutation($input: AttachDestinationInput!) { attachDestination(input: $input) { id artifactPattern } }`;
const DETACH = `mutation($input: DetachDestinationInput!) { detachDestination(input: $input) }`;

let h: Harness;
beforeAll(async () => { h = await startDelivery({ withoutSmtp: true }); });
afterAll(async () => { await h?.stop(); });

/** An EMAIL destination from before (created while the platform had an SMTP server, say). */
async function existingEmailDestination(name: string, enabled: boolean) {
  const em = systemEm(h.orm);
  const id = newId();
  em.create(DestinationEntity, { id, tenantId: TENANT_A, name, kind: 'EMAIL', config: { ...EMAIL_CONFIG, attach: true }, secrets: null, secretFields: [], enabled });
  await em.flush();
  return id;
}

describe('EMAIL on a platform without an SMTP server', () => {
  it('tells the tenant that email is not set up here, for good, without the operator\'s variable', async () => {
    const transport = createEmailTransport({ smtp: undefined, timeoutMs: 1_000 });
    const err = await transport.probe({} as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect(err).toMatchObject({ stage: 'CONFIG', permanent: true });
    expect((err as Error).message).toMatch(/not set up on this platform/);
    expect((err as Error).message).not.toMatch(/DELIVERY_SMTP_URL/);
  });

  it('refuses to create an EMAIL destination, saying email is not set up here, and stores nothing', async () => {
    const refused = await h.gql(owner(TENANT_A), CREATE, { input: { name: 'Finance team', kind: 'EMAIL', config: EMAIL_CONFIG } });
    expect(refused.data).toBeNull();
    expect(refused.errors).toHaveLength(1);
    const [error] = refused.errors!;
    expect(error!.extensions).toEqual({ code: 'BAD_USER_INPUT', path: 'kind', reason: 'KIND_NOT_AVAILABLE', kind: 'EMAIL' });
    expect(error!.message).toMatch(/^Email delivery is not set up on this platform/);
    expect(error!.message).not.toMatch(/DELIVERY_SMTP|SMTP_URL/);
    const [{ count }] = await h.orm.em.getConnection().execute(`select count(*)::int as count from delivery.destinations where name = 'Finance team'`);
    expect(count).toBe(0);
  });

  it('still creates destinations of the other kinds', async () => {
    const created = await h.gql(owner(TENANT_A), CREATE, { input: { name: 'Partner hook', kind: 'WEBHOOK', config: { url: 'https://hooks.example.com/rowline' } } });
    expect(created.errors).toBeUndefined();
    expect(created.data.createDestination).toMatchObject({ kind: 'WEBHOOK', enabled: true });
  });

  it('refuses a new config for an existing EMAIL destination, or enabling one, naming the field asked', async () => {
    const enabledId = await existingEmailDestination('Old mail', true);
    const disabledId = await existingEmailDestination('Paused mail', false);

    const reconfigured = await h.gql(owner(TENANT_A), UPDATE, { input: { id: enabledId, config: { ...EMAIL_CONFIG, subject: 'New subject' } } });
    expect(reconfigured.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', path: 'config', reason: 'KIND_NOT_AVAILABLE', kind: 'EMAIL' });
    const enabled = await h.gql(owner(TENANT_A), UPDATE, { input: { id: disabledId, enabled: true } });
    expect(enabled.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', path: 'enabled', reason: 'KIND_NOT_AVAILABLE', kind: 'EMAIL' });

    const rows = await h.orm.em.getConnection().execute(`select name, enabled, config->>'subject' as subject from delivery.destinations where kind = 'EMAIL' order by name`);
    expect(rows).toEqual([
      { name: 'Old mail', enabled: true, subject: 'Monthly report' },
      { name: 'Paused mail', enabled: false, subject: 'Monthly report' },
    ]);
  });

  it('lets the tenant rename, disable or delete an existing EMAIL destination', async () => {
    const id = await existingEmailDestination('Legacy mail', true);
    const updated = await h.gql(owner(TENANT_A), UPDATE, { input: { id, name: 'Legacy mail (off)', enabled: false } });
    expect(updated.errors).toBeUndefined();
    expect(updated.data.updateDestination).toMatchObject({ name: 'Legacy mail (off)', enabled: false });
    const deleted = await h.gql(owner(TENANT_A), `mutation($id: ID!) { deleteDestination(id: $id) }`, { id });
    expect(deleted).toEqual({ data: { deleteDestination: id } });
  });

  it('renames an enabled EMAIL destination when the form sends enabled: true back unchanged', async () => {
    const id = await existingEmailDestination('Form mail', true);
    const renamed = await h.gql(owner(TENANT_A), UPDATE, { input: { id, name: 'Form mail (renamed)', enabled: true } });
    expect(renamed.errors).toBeUndefined();
    expect(renamed.data.updateDestination).toMatchObject({ name: 'Form mail (renamed)', enabled: true });
  });

  it('refuses to attach an existing EMAIL destination to a workflow, a route made before included, and lets it be detached', async () => {
    const destinationId = await existingEmailDestination('Routed mail', true);
    const workflowId = await h.workflow(TENANT_A);
    const refused = await h.gql(owner(TENANT_A), ATTACH, { input: { workflowId, destinationId } });
    expect(refused.data).toBeNull();
    expect(refused.errors).toHaveLength(1);
    expect(refused.errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', path: 'destinationId', reason: 'KIND_NOT_AVAILABLE', kind: 'EMAIL' });
    expect(refused.errors![0]!.message).toMatch(/^Email delivery is not set up on this platform/);
    const routes = () => h.orm.em.getConnection().execute(`select artifact_pattern from delivery.routes where destination_id = ?`, [destinationId]);
    expect(await routes()).toEqual([]);

    // A route attached while the platform had an SMTP server: no new pattern for it, but it can be detached.
    const em = systemEm(h.orm);
    const routeId = newId();
    em.create(RouteEntity, { id: routeId, tenantId: TENANT_A, workflowId, destinationId, artifactPattern: '*', fileNameTemplate: '{name}', createdAt: new Date() });
    await em.flush();
    const again = await h.gql(owner(TENANT_A), ATTACH, { input: { workflowId, destinationId, artifactPattern: '*.csv' } });
    expect(again.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'KIND_NOT_AVAILABLE' });
    expect(await routes()).toEqual([{ artifact_pattern: '*' }]);
    expect(await h.gql(owner(TENANT_A), DETACH, { input: { workflowId, destinationId } })).toEqual({ data: { detachDestination: routeId } });
  });

  it('answers another tenant\'s EMAIL destination NOT_FOUND when attaching, saying nothing of its kind', async () => {
    const destinationId = await existingEmailDestination('Not yours', true);
    const attached = await h.gql(owner(TENANT_B), ATTACH, { input: { workflowId: await h.workflow(TENANT_B), destinationId } });
    expect(errorCodes(attached)).toEqual(['NOT_FOUND']);
  });

  it('still attaches destinations of the other kinds', async () => {
    const created = await h.gql(owner(TENANT_A), CREATE, { input: { name: 'Routed hook', kind: 'WEBHOOK', config: { url: 'https://hooks.example.com/routed' } } });
    const attached = await h.gql(owner(TENANT_A), ATTACH, { input: { workflowId: await h.workflow(TENANT_A), destinationId: created.data.createDestination.id } });
    expect(attached.errors).toBeUndefined();
    expect(attached.data.attachDestination).toMatchObject({ artifactPattern: '*' });
  });
});
