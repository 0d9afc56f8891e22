import { Kind, type FragmentDefinitionNode } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import type { Counter } from 'prom-client';
import type { GatewayContext } from '../data-source.js';
import type { CostBudget } from './budget.js';
import type { LimitsConfig } from './config.js';
import { estimateCost } from './cost.js';
import { limitError } from './errors.js';

type Spent = { cost: number; remaining: number; resetAt: Date };

/**
 * Cost and page-size checks, in `didResolveOperation`: after parsing and validation, before the gateway
 * plans the operation, so a refused operation calls no subgraph. The cost and what is left of the
 * caller's budget go back in `extensions.cost`.
 */
export function costPlugin(limits: LimitsConfig, budget: CostBudget, refused: Counter<'reason'>): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      let spent: Spent | undefined;
      return {
        async didResolveOperation({ request, document, operation, schema, contextValue }) {
          if (!operation) return;
          const fragments: Record<string, FragmentDefinitionNode> = {};
          for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
          const { cost, oversized } = estimateCost(schema, operation, fragments, request.variables ?? {}, limits.maxPageSize);
          if (oversized) {
            refused.inc({ reason: 'page_size' });
            throw limitError('BAD_USER_INPUT', `${oversized.field}(${oversized.argument}: ${oversized.value}) asks for more than ${limits.maxPageSize} items`,
              { argument: oversized.argument, max: limits.maxPageSize });
          }
          if (cost > limits.maxCost) {
            refused.inc({ reason: 'cost' });
            throw limitError('QUERY_TOO_COMPLEX', `The operation's estimated cost ${cost} is above the limit of ${limits.maxCost}`, { limit: 'cost', max: limits.maxCost, cost });
          }
          const p = contextValue.principal;
          const charge = budget.charge(p ? `tenant:${p.tenantId}` : `address:${contextValue.clientAddress ?? 'unknown'}`, cost);
          spent = { cost, remaining: charge.remaining, resetAt: charge.resetAt };
          if (!charge.allowed) {
            refused.inc({ reason: 'budget' });
            const retryAfter = Math.max(1, Math.ceil((charge.resetAt.getTime() - Date.now()) / 1000));
            throw limitError('RATE_LIMITED', `This operation costs ${cost}, more than the ${charge.remaining} left of the budget of ${limits.costBudgetPerMinute} a minute`,
              { cost, remaining: charge.remaining, resetAt: charge.resetAt.toISOString(), retryAfterSeconds: retryAfter }, { 'retry-after': String(retryAfter) });
          }
        },
        async willSendResponse({ response }) {
          if (!spent || response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          result.extensions = {
            ...result.extensions,
            cost: { requested: spent.cost, remaining: spent.remaining, budgetPerMinute: limits.costBudgetPerMinute, resetAt: spent.resetAt.toISOString() },
          };
        },
      };
    },
  };
}
