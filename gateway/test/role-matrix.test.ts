import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { permits, ROLE_PERMISSIONS, ROLES, type Role } from '@rowline/kit';
import { codesOf, startTestPlatform, type TestPlatform } from './support/platform.js';
import { ID_KINDS } from './support/id-kinds.js';
import { argKey, idArgPaths, loadSupergraphSchema, operationFor, rootFields, sampleArgs, withArg, type RootField } from './support/operations.js';
import { seedTenant, snapshot, type SeededTenant } from './support/tenant-fixtures.js';

const ANYONE = 'anyone';
const SIGNED_IN = 'signed-in';

/**
 * The permission each operation declares (its `@Authorized`). The expected outcome for every role comes from
 * kit's ROLE_PERMISSIONS, the one table of truth; an operation missing here fails the first test.
 */
const REQUIRES: Record<string, string> = {
  'Query.me': SIGNED_IN,
  'Query.members': 'members:read',
  'Query.auditEvents': 'audit:read',
  'Query.deliveries': 'deliveries:read',
  'Query.delivery': 'deliveries:read',
  'Query.destinations': 'destinations:read',
  'Query.destination': 'destinations:read',
  'Query.execution': 'executions:read',
  'Query.executionsByIds': 'executions:read',
  'Query.executions': 'executions:read',
  'Query.files': 'files:read',
  'Query.file': 'files:read',
  'Query.workflows': 'workflows:read',
  'Query.workflow': 'workflows:read',
  'Query.workflowVersion': 'workflows:read',
  'Query.diffWorkflowVersions': 'workflows:read',
  'Query.ruleTypes': SIGNED_IN,
  'Query.validateWorkflow': 'workflows:read',
  'Query.previewWorkflow': 'workflows:read',
  'Mutation.signUp': ANYONE,
  'Mutation.logIn': ANYONE,
  'Mutation.refreshSession': ANYONE,
  'Mutation.logOut': ANYONE,
  'Mutation.acceptInvitation': ANYONE,
  'Mutation.inviteMember': 'members:write',
  'Mutation.changeMemberRole': 'members:write',
  'Mutation.removeMember': 'members:write',
  'Mutation.changePassword': SIGNED_IN,
  'Mutation.createDestination': 'destinations:write',
  'Mutation.updateDestination': 'destinations:write',
  'Mutation.deleteDestination': 'destinations:write',
  'Mutation.attachDestination': 'destinations:write',
  'Mutation.detachDestination': 'destinations:write',
  'Mutation.startExecution': 'executions:write',
  'Mutation.cancelExecution': 'executions:write',
  'Mutation.createUpload': 'files:write',
  'Mutation.deleteFile': 'files:write',
  'Mutation.createWorkflow': 'workflows:write',
  'Mutation.saveWorkflowVersion': 'workflows:write',
  'Mutation.archiveWorkflow': 'workflows:write',
  'Mutation.unarchiveWorkflow': 'workflows:write',
  'Mutation.updateWorkflow': 'workflows:write',
  'Mutation.restoreWorkflowVersion': 'workflows:write',
  'Query.apiKeys': 'api-keys:read',
  'Mutation.createApiKey': 'api-keys:write',
  'Mutation.revokeApiKey': 'api-keys:write',
  'Mutation.rotateApiKey': 'api-keys:write',
  'Mutation.redeliver': 'deliveries:write',
  'Mutation.testDestination': 'destinations:write',
  'Mutation.retryExecution': 'executions:write',
  'Query.fileQuota': 'files:read',
  'Mutation.setFileRetention': 'files:admin',
};

const allows = (role: Role, needed: string) => needed === ANYONE || needed === SIGNED_IN || permits(ROLE_PERMISSIONS[role], needed);

const fields = rootFields(loadSupergraphSchema());
const keyOf = (f: RootField) => `${f.root}.${f.name}`;
const matrix = ROLES.flatMap((role) => fields.filter((f) => keyOf(f) in REQUIRES).map((f) => ({ role, f, key: keyOf(f), allowed: allows(role, REQUIRES[keyOf(f)]!) })));

let t: TestPlatform;
let tenant: SeededTenant;
const tokens = {} as Record<Role, string>;

async function join(role: Role): Promise<string> {
  const email = `${role.toLowerCase()}-${randomUUID()}@example.com`;
  const invited = await t.post(`mutation($i: InviteMemberInput!) { inviteMember(input: $i) { token } }`, { token: tenant.accessToken, variables: { i: { email, role } } });
  const accepted = await t.post(`mutation($i: AcceptInvitationInput!) { acceptInvitation(input: $i) { accessToken role } }`,
    { variables: { i: { token: invited.data!.inviteMember.token, password: tenant.password, name: role } } });
  if (accepted.data?.acceptInvitation.role !== role) throw new Error(`joining as ${role} failed: ${JSON.stringify(accepted.errors)}`);
  return accepted.data.acceptInvitation.accessToken;
}

beforeAll(async () => {
  t = await startTestPlatform();
  tenant = await seedTenant(t, 'Roles');
  tokens.OWNER = tenant.accessToken;
  for (const role of ['ADMIN', 'MEMBER', 'VIEWER'] as const) tokens[role] = await join(role);
});
afterAll(async () => { await t?.stop(); });

/** The tenant's real objects for a refusal (the refusal must come before any lookup); fresh ids otherwise. */
function argsFor(f: RootField, realIds: boolean) {
  let args = sampleArgs(f);
  if (realIds) for (const path of idArgPaths(f)) args = withArg(f, args, path, tenant.ids[ID_KINDS[argKey(f, path)]!]);
  return args;
}

describe('the role matrix, generated from the supergraph and the permission table', () => {
  it('knows the permission of every query and mutation, and of none that is gone', () => {
    const keys = fields.map(keyOf);
    expect(keys.filter((k) => !(k in REQUIRES)), 'operations without an entry in REQUIRES').toEqual([]);
    expect(Object.keys(REQUIRES).filter((k) => !keys.includes(k)), 'entries for operations that no longer exist').toEqual([]);
  });

  it('gives a VIEWER no mutation beyond its own session and password', () => {
    const viewerMutations = matrix.filter((c) => c.role === 'VIEWER' && c.f.root === 'Mutation' && c.allowed).map((c) => c.key);
    expect(viewerMutations.filter((k) => ![ANYONE, SIGNED_IN].includes(REQUIRES[k]!))).toEqual([]);
  });

  let before: unknown;
  it('takes a snapshot of the tenant before the refusals', async () => { before = await snapshot(t, tenant); });

  it.each(matrix.filter((c) => !c.allowed).map((c) => [c.role, c.key, c] as const))('%s calling %s is FORBIDDEN, even on its tenant\'s real objects', async (role, _key, { f }) => {
    const args = argsFor(f, true);
    const reply = await t.post(operationFor(f, args), { token: tokens[role], variables: args });
    expect(codesOf(reply)).toEqual(['FORBIDDEN']);
    expect(reply.data ?? null).toBeNull();
  });

  it('changed nothing through the refused calls', async () => {
    expect(await snapshot(t, tenant)).toEqual(before);
  });

  it.each(matrix.filter((c) => c.allowed).map((c) => [c.role, c.key, c] as const))('%s calling %s gets past authorization', async (role, key, { f }) => {
    const args = argsFor(f, false);
    const reply = await t.post(operationFor(f, args), { token: tokens[role], variables: args });
    expect(codesOf(reply), JSON.stringify(reply.errors)).not.toContain('FORBIDDEN');
    // Public operations may refuse their sample input as UNAUTHENTICATED (a made-up refresh token); others never.
    if (REQUIRES[key] !== ANYONE) expect(codesOf(reply), JSON.stringify(reply.errors)).not.toContain('UNAUTHENTICATED');
  });
});
