import express from 'express';
import type { ApolloServerPlugin } from '@apollo/server';
import { Counter, type Registry } from 'prom-client';
import type { Logger } from '@rowline/kit';
import type { GatewayContext } from '../data-source.js';
import { errorReportingPlugin } from '../errors.js';
import { createCostBudget } from './budget.js';
import type { LimitsConfig } from './config.js';
import { bodyErrorHandler, safelistMiddleware } from './http.js';
import { costPlugin } from './plugin.js';
import { shapeRules } from './rules.js';

export { DEFAULT_LIMITS, type LimitsConfig } from './config.js';
export { publicErrorFormatter } from './errors.js';
export { allowsText, loadSafelist, sha256Hex, type Safelist } from './safelist.js';

/**
 * The public endpoint's defenses, as the pieces the gateway mounts: Apollo options (shape rules, token
 * limit, batching, cost plugin), the body parser with its size cap, the safelist and the error handler.
 */
export function createDefenses(limits: LimitsConfig, deps: { logger: Logger; registry: Registry }) {
  const refused = new Counter({
    name: 'rowline_gateway_operations_refused_total', help: 'Operations the gateway refused before planning (/graphql and /partner/graphql), by limit',
    labelNames: ['reason'] as const, registers: [deps.registry],
  });
  const on = limits.enabled;
  const plugins: ApolloServerPlugin<GatewayContext>[] = [errorReportingPlugin(deps.logger)];
  if (on) plugins.push(costPlugin(limits, createCostBudget(limits.costBudgetPerMinute), refused));
  const shape = {
    validationRules: on ? shapeRules(limits, refused) : [],
    parseOptions: on ? { maxTokens: limits.maxTokens } : {},
  };
  return {
    apollo: {
      ...shape,
      allowBatchedHttpRequests: limits.batching,
      hideSchemaDetailsFromClientErrors: !limits.suggestions,
      plugins,
    },
    bodyParser: express.json({ limit: limits.maxBodyBytes }),
    safelist: safelistMiddleware(limits.safelist),
    errorHandler: bodyErrorHandler(deps.logger, limits.maxBodyBytes),
    /**
     * The document's shape limits (depth, aliases, root fields, lexer tokens) for `/partner/graphql`: its
     * cost budget prices object fields only, so without these a cheap query can still be deep, or alias a
     * scalar thousands of times, and cost the gateway seconds of CPU and megabytes of answer.
     */
    shape,
  };
}
