import { GraphQLError, Kind, type ASTVisitor, type ValidationContext, type ValidationRule } from 'graphql';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { AppError } from '@rowline/kit';
import type { Counter } from 'prom-client';
import type { LimitsConfig } from './config.js';

/** Reports a limit as a validation error whose AppError gives it a stable code instead of Apollo's generic one. */
const reportLimit = (context: ValidationContext | null, limit: string, max: number, message: string) => {
  context?.reportError(new GraphQLError(message, { originalError: new AppError('QUERY_TOO_COMPLEX', message, { limit, max }) }));
};

/**
 * The shape limits, run with graphql's own validation (so once per distinct document: Apollo caches
 * validated documents). Depth and aliases come from graphql-armor, which follows fragments and skips
 * introspection; the root-field count is ours, since armor has none.
 */
export function shapeRules(limits: LimitsConfig, refused: Counter<'reason'>): ValidationRule[] {
  const report = (context: ValidationContext | null, limit: string, max: number, message: string) => {
    refused.inc({ reason: limit });
    reportLimit(context, limit, max, message);
  };
  return [
    maxDepthRule({
      n: limits.maxDepth, propagateOnRejection: false,
      onReject: [(ctx) => report(ctx, 'depth', limits.maxDepth, `The operation is nested deeper than ${limits.maxDepth} levels`)],
    }) as unknown as ValidationRule,
    maxAliasesRule({
      n: limits.maxAliases, propagateOnRejection: false,
      onReject: [(ctx) => report(ctx, 'aliases', limits.maxAliases, `The operation uses more than ${limits.maxAliases} aliases`)],
    }) as unknown as ValidationRule,
    maxRootFieldsRule(limits.maxRootFields, report),
  ];
}

/** Top-level fields of each operation, fragments at the root included. */
export function maxRootFieldsRule(max: number, onExceeded = reportLimit): ValidationRule {
  return (context): ASTVisitor => ({
    OperationDefinition(operation) {
      const seen = new Set<string>();
      const count = (selections: readonly import('graphql').SelectionNode[]): number => selections.reduce((n, s) => {
        if (s.kind === Kind.FIELD) return n + (s.name.value.startsWith('__') ? 0 : 1);
        if (s.kind === Kind.INLINE_FRAGMENT) return n + count(s.selectionSet.selections);
        if (seen.has(s.name.value)) return n;
        seen.add(s.name.value);
        const fragment = context.getFragment(s.name.value);
        return n + (fragment ? count(fragment.selectionSet.selections) : 0);
      }, 0);
      const fields = count(operation.selectionSet.selections);
      if (fields > max) onExceeded(context, 'rootFields', max, `The operation asks for ${fields} top-level fields; at most ${max} are allowed`);
    },
  });
}
