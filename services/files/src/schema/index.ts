import { buildSubgraph } from '@rowline/kit';
import type { FilesDomain } from '../domain/files.js';
import type { Retention } from '../domain/retention.js';
import { FileResolver } from './file.resolver.js';
import { QuotaResolver } from './quota.resolver.js';

export function buildFilesSchema(deps: { domain: FilesDomain; retention: Retention }) {
  return buildSubgraph({
    resolvers: [new FileResolver(deps.domain), new QuotaResolver(deps.retention)],
    references: {
      File: { permission: 'files:read', resolve: (ref, ctx) => deps.domain.reference(ctx.em, ref.id) },
    },
  });
}
