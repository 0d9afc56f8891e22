/**
 * The one table of truth from roles to `resource:action` permissions. Subgraphs check permissions, never
 * roles, so a role can change here without touching a resolver.
 */
export const ROLES = ['OWNER', 'ADMIN', 'MEMBER', 'VIEWER'] as const;
export type Role = (typeof ROLES)[number];

const READ = ['workflows:read', 'executions:read', 'files:read', 'destinations:read', 'deliveries:read', 'members:read'];
const WRITE = ['workflows:write', 'executions:write', 'files:write', 'deliveries:write'];

export const ROLE_PERMISSIONS: Record<Role, readonly string[]> = {
  OWNER: ['*:*'],
  ADMIN: [...READ, ...WRITE, 'destinations:write', 'members:write', 'api-keys:*', 'audit:read', 'tenant:read', 'files:admin'],
  MEMBER: [...READ, ...WRITE, 'tenant:read'],
  VIEWER: [...READ, 'tenant:read'],
};

/** True when `granted` (which may hold wildcards such as `*:*` or `files:*`) covers `needed`. */
export function permits(granted: readonly string[], needed: string): boolean {
  const [resource, action] = needed.split(':');
  return granted.some((g) => {
    const [r, a] = g.split(':');
    return (r === '*' || r === resource) && (a === '*' || a === action);
  });
}

export const permissionsOf = (role: Role): readonly string[] => ROLE_PERMISSIONS[role];
