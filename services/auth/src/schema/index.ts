import { buildSubgraph, type EntityManager } from '@rowline/kit';
import type { ApiKeys } from '../domain/api-keys.js';
import type { Members } from '../domain/members.js';
import type { Sessions } from '../domain/sessions.js';
import { TenantEntity } from '../store/entities.js';
import { ApiKeyResolver } from './api-key.resolver.js';
import { AuthResolver } from './auth.resolver.js';
import { MembersResolver } from './members.resolver.js';

export function buildAuthSchema(deps: { sessions: Sessions; members: Members; em: () => EntityManager; apiKeys: ApiKeys }) {
  return buildSubgraph({
    resolvers: [new AuthResolver(deps.sessions), new MembersResolver(deps.members, deps.sessions), new ApiKeyResolver(deps.apiKeys)],
    references: {
      // Only the caller's own tenant, and users who share it, resolve; anything else is null.
      Tenant: {
        permission: 'tenant:read',
        resolve: (ref, ctx) => (ref.id === ctx.principal.tenantId ? deps.em().findOne(TenantEntity, { id: ref.id }) : null),
      },
      User: { permission: 'members:read', resolve: (ref, ctx) => deps.members.member(ctx.em, ctx.principal.tenantId, ref.id) },
    },
  });
}
