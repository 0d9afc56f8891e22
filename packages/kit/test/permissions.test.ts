import { describe, expect, it } from 'vitest';
import { authorize, permissionsOf, permits, ROLES, type EntityManager, type Principal, type RequestContext, type Role } from '@rowline/kit';

const RESOURCES = ['workflows', 'executions', 'files', 'destinations', 'deliveries', 'members', 'api-keys', 'audit', 'tenant'];

function contextOf(principal: Partial<Principal> | null): RequestContext {
  return {
    requestId: 'req-1',
    logger: undefined as never,
    principal: principal && { kind: 'user', tenantId: 't-1', subject: 'u-1', role: 'MEMBER', scopes: [], ...principal },
    em: principal ? ({} as EntityManager) : null,
  };
}

describe('permits', () => {
  it('grants an exact resource:action', () => {
    expect(permits(['files:read'], 'files:read')).toBe(true);
    expect(permits(['files:read'], 'files:write')).toBe(false);
    expect(permits(['files:read'], 'workflows:read')).toBe(false);
  });

  it('lets *:* cover every resource and action', () => {
    for (const resource of RESOURCES) expect(permits(['*:*'], `${resource}:delete`)).toBe(true);
  });

  it('lets a wildcard action cover every action of one resource only', () => {
    expect(permits(['api-keys:*'], 'api-keys:create')).toBe(true);
    expect(permits(['api-keys:*'], 'api-keys:revoke')).toBe(true);
    expect(permits(['api-keys:*'], 'members:write')).toBe(false);
  });

  it('lets a wildcard resource cover one action on every resource only', () => {
    expect(permits(['*:read'], 'audit:read')).toBe(true);
    expect(permits(['*:read'], 'audit:write')).toBe(false);
  });

  it('grants nothing from an empty list, a bare wildcard or a look-alike resource', () => {
    expect(permits([], 'files:read')).toBe(false);
    expect(permits(['*'], 'files:read')).toBe(false);
    expect(permits(['file:read', 'files-x:read', 'files:reads'], 'files:read')).toBe(false);
  });
});

describe('the roles table', () => {
  it('knows exactly the four roles, from most to least powerful', () => {
    expect(ROLES).toEqual(['OWNER', 'ADMIN', 'MEMBER', 'VIEWER']);
  });

  it('lets the owner do anything', () => {
    for (const resource of RESOURCES) {
      for (const action of ['read', 'write', 'delete']) expect(permits(permissionsOf('OWNER'), `${resource}:${action}`)).toBe(true);
    }
  });

  it('lets an admin manage members, destinations, API keys and the audit log but not the tenant itself', () => {
    const admin = permissionsOf('ADMIN');
    for (const needed of ['members:write', 'destinations:write', 'api-keys:create', 'api-keys:revoke', 'audit:read', 'workflows:write']) {
      expect(permits(admin, needed), needed).toBe(true);
    }
    expect(permits(admin, 'tenant:write')).toBe(false);
  });

  it('lets a member run workflows but not manage members, destinations, API keys or read the audit log', () => {
    const member = permissionsOf('MEMBER');
    for (const needed of ['workflows:write', 'executions:write', 'files:write', 'deliveries:write', 'destinations:read']) {
      expect(permits(member, needed), needed).toBe(true);
    }
    for (const needed of ['members:write', 'destinations:write', 'api-keys:create', 'audit:read', 'tenant:write']) {
      expect(permits(member, needed), needed).toBe(false);
    }
  });

  it('lets a viewer read everything it can see and write nothing at all', () => {
    const viewer = permissionsOf('VIEWER');
    for (const resource of ['workflows', 'executions', 'files', 'destinations', 'deliveries', 'members', 'tenant']) {
      expect(permits(viewer, `${resource}:read`), resource).toBe(true);
    }
    for (const resource of RESOURCES) {
      for (const action of ['write', 'delete', 'create']) expect(permits(viewer, `${resource}:${action}`), `${resource}:${action}`).toBe(false);
    }
  });
});

describe('authorize', () => {
  it('answers UNAUTHENTICATED for an anonymous caller', () => {
    expect(() => authorize(contextOf(null))).toThrow(expect.objectContaining({ code: 'UNAUTHENTICATED' }));
    expect(() => authorize(contextOf(null), 'workflows:read')).toThrow(expect.objectContaining({ code: 'UNAUTHENTICATED' }));
  });

  it.each<[Role, string]>([['VIEWER', 'workflows:write'], ['MEMBER', 'members:write'], ['ADMIN', 'tenant:write']])(
    'answers FORBIDDEN when a %s asks for %s',
    (role, permission) => {
      expect(() => authorize(contextOf({ role }), permission)).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    },
  );

  it('lets API-key scopes narrow what the role allows, never widen it', () => {
    const narrowed = contextOf({ kind: 'api_key', role: 'OWNER', scopes: ['workflows:read'] });
    expect(() => authorize(narrowed, 'workflows:read')).not.toThrow();
    expect(() => authorize(narrowed, 'workflows:write')).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    const widened = contextOf({ kind: 'api_key', role: 'VIEWER', scopes: ['*:*'] });
    expect(() => authorize(widened, 'workflows:write')).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
  });
});
