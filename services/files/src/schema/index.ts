import { buildSubgraph } from '@rowline/kit';
import type { FilesDomain } from '../domain/files.js';
import { FileResolver } from './file.resolver.js';

export function buildFilesSchema(deps: { domain: FilesDomain }) {
  return buildSubgraph({
    resolvers: [new FileResolver(deps.domain)],
    references: {
      File: { permission: 'files:read', resolve: (ref, ctx) => deps.domain.get(ctx.em, ref.id) },
    },
  });
}
