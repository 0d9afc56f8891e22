import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import express, { type Express } from 'express';
import { ApolloGateway, type GraphQLDataSource, type ServiceEndpointDefinition } from '@apollo/gateway';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { GraphQLError, Kind, type FragmentDefinitionNode, type ParseOptions, type ValidationRule } from 'graphql';
import { AppError, appErrorOf, MAX_PAGE_SIZE, type InternalTokens, type Logger } from '@rowline/kit';
import type { GatewayContext } from '../data-source.js';
import { errorReportingPlugin } from '../errors.js';
import { limitError, publicErrorFormatter } from '../limits/errors.js';
import { bodyErrorHandler } from '../limits/http.js';
import { checkScalarVariables, scalarLiteralsRule } from '../scalars.js';
import { createBudgets, type BudgetState } from './budget.js';
import { operationCost } from './cost.js';
import { createApiKeyVerifier } from './key-verifier.js';
import { onlyQueries, operationGuard, READ_ONLY_MESSAGE } from './operation-guard.js';

export const PARTNER_PATH = '/partner/graphql';
/** The largest request body the partner endpoint reads. */
const PARTNER_BODY_BYTES = 256 * 1024;
/** The contract composed by `npm run supergraph` and checked in; CI proves it current. */
export const DEFAULT_PARTNER_SUPERGRAPH_PATH = fileURLToPath(new URL('../../partner-supergraph.graphql', import.meta.url));
export const loadPartnerSupergraph = (path = DEFAULT_PARTNER_SUPERGRAPH_PATH): Promise<string> => readFile(path, 'utf8');

export type PartnerOptions = {
  /** The contract supergraph; the checked-in file when absent. */
  supergraphSdl?: string;
  /** How long a key check is trusted (default 30 s): a revoked key works at most this long after. */
  keyCacheMs?: number;
  /** How long a key's usage (requests, cost points) waits before it is reported to auth (default 5 s). */
  usageFlushMs?: number;
  /** Cost points a key may spend per window (default 1000 per 60 s). */
  budgetPoints?: number;
  budgetWindowMs?: number;
};

type PartnerContext = GatewayContext & { apiKey: { recordUsage: (points: number) => void } };

const costExtension = (cost: number, b: BudgetState) => ({ points: cost, limit: b.limit, remaining: b.remaining, resetAt: b.resetAt.toISOString() });

/**
 * `/partner/graphql`: a second Apollo gateway over the partner contract, for API keys. The key becomes an
 * `api_key` principal (role VIEWER, the key's scopes), signed into the internal tokens exactly like a user
 * is, so the subgraphs' permission, scope and tenant checks apply unchanged. Only queries pass; each is
 * priced before it runs and charged to the key's budget.
 */
export async function createPartnerEndpoint(opts: PartnerOptions & {
  logger: Logger; tokens: InternalTokens; authUrl: string; introspection: boolean; exposeInternalErrors: boolean;
  /** The same subgraph data sources as the public gateway: they sign the principal into internal tokens. */
  buildService: (service: ServiceEndpointDefinition) => GraphQLDataSource;
  /** The public endpoint's shape limits (depth, aliases, root fields, tokens; `createDefenses().shape`). */
  shape: { validationRules: ValidationRule[]; parseOptions: ParseOptions };
}) {
  const keys = createApiKeyVerifier({
    authUrl: opts.authUrl, tokens: opts.tokens, cacheMs: opts.keyCacheMs ?? 30_000, usageFlushMs: opts.usageFlushMs, logger: opts.logger,
  });
  const budgetPoints = opts.budgetPoints ?? 1000;
  const budgets = createBudgets({ points: budgetPoints, windowMs: opts.budgetWindowMs ?? 60_000 });
  const gateway = new ApolloGateway({ supergraphSdl: opts.supergraphSdl ?? await loadPartnerSupergraph(), buildService: opts.buildService });
  checkScalarVariables(gateway, opts.logger);

  const pricing: ApolloServerPlugin<PartnerContext> = {
    async requestDidStart() {
      let extension: ReturnType<typeof costExtension> | undefined;
      return {
        async didResolveOperation({ operation, document, schema, request, contextValue }) {
          // The second line of the read-only rule, on the operation Apollo actually chose to run.
          if (!operation || operation.operation !== 'query' || !onlyQueries(document)) {
            throw new GraphQLError(READ_ONLY_MESSAGE, { extensions: { code: 'FORBIDDEN', http: { status: 403 } } });
          }
          const fragments = Object.fromEntries(document.definitions
            .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
          const { points: cost, oversized } = operationCost(schema, operation, fragments, request.variables ?? {}, MAX_PAGE_SIZE);
          // Refusals that waiting cannot cure are 400s, not 429s: the same page-size rule as /graphql, and a
          // query that costs more than the whole budget, which no window would ever admit.
          if (oversized) {
            throw limitError('BAD_USER_INPUT', `${oversized.field}(first: ${oversized.value}) asks for more than ${MAX_PAGE_SIZE} items`,
              { argument: 'first', max: MAX_PAGE_SIZE });
          }
          if (cost > budgetPoints) {
            throw limitError('QUERY_TOO_COMPLEX', `This query costs ${cost} points, more than the whole budget of ${budgetPoints} points per window: ask for fewer items or fields`,
              { limit: 'cost', max: budgetPoints, cost });
          }
          const charge = budgets.charge(contextValue.principal!.subject, cost);
          extension = costExtension(cost, charge);
          if (!charge.ok) {
            const retryAfter = Math.max(1, Math.ceil((charge.resetAt.getTime() - Date.now()) / 1000));
            throw new GraphQLError(`Rate limit exceeded: this query costs ${cost} points and ${charge.remaining} remain until ${extension.resetAt}`, {
              extensions: { code: 'RATE_LIMITED', resetAt: extension.resetAt, cost: extension, http: { status: 429, headers: new Map([['retry-after', String(retryAfter)]]) } },
            });
          }
          contextValue.apiKey.recordUsage(cost);
        },
        async willSendResponse({ response }) {
          if (extension && response.body.kind === 'single') {
            response.body.singleResult.extensions = { ...response.body.singleResult.extensions, cost: extension };
          }
        },
      };
    },
  };

  const apollo = new ApolloServer<PartnerContext>({
    gateway,
    introspection: opts.introspection,
    csrfPrevention: true,
    // Only what the partner sends is run: no persisted-query cache another client could have filled.
    persistedQueries: false,
    allowBatchedHttpRequests: false,
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
    plugins: [pricing, errorReportingPlugin(opts.logger)],
    // The cost prices object fields only; the shape limits bound what it does not see (a scalar aliased
    // thousands of times, a deep chain of cheap fields), before planning, exactly as on /graphql.
    parseOptions: opts.shape.parseOptions,
    validationRules: [scalarLiteralsRule, ...opts.shape.validationRules],
    formatError: publicErrorFormatter({ exposeInternal: opts.exposeInternalErrors }),
  });
  await apollo.start();

  return {
    keys,
    mount(app: Express) {
      app.use(PARTNER_PATH, express.json({ limit: PARTNER_BODY_BYTES }), operationGuard({ maxTokens: opts.shape.parseOptions.maxTokens }), async (req, res, next) => {
        const requestId = (typeof req.headers['x-request-id'] === 'string' && req.headers['x-request-id'].slice(0, 100)) || randomUUID();
        res.setHeader('x-request-id', requestId);
        res.locals.requestId = requestId;
        try {
          const [scheme, key, extra] = (req.headers.authorization ?? '').split(' ');
          if (scheme?.toLowerCase() !== 'bearer' || !key || extra !== undefined) {
            throw new AppError('UNAUTHENTICATED', 'Use Authorization: Bearer <API key>');
          }
          const { principal, recordUsage } = await keys.verify(key);
          res.locals.principal = principal;
          res.locals.apiKey = { recordUsage };
          next();
        } catch (err) {
          const e = appErrorOf(err);
          if (!e) opts.logger.error({ err, requestId }, 'API key verification failed unexpectedly');
          const status = e?.code === 'UNAUTHENTICATED' ? 401 : 503;
          const code = e?.code === 'UNAUTHENTICATED' ? 'UNAUTHENTICATED' : 'UNAVAILABLE';
          // A refusal's details (a user token's `hint`) go along; an outage's stay in the log.
          const details = code === 'UNAUTHENTICATED' ? e?.details : undefined;
          res.status(status).json({ errors: [{ message: e?.message ?? 'API key check unavailable', extensions: { ...details, code, requestId } }] });
        }
      }, expressMiddleware(apollo, {
        context: async ({ req, res }) => ({
          principal: res.locals.principal,
          apiKey: res.locals.apiKey,
          requestId: res.locals.requestId as string,
          clientAddress: req.ip,
        }),
      }));
      // A body too large or not JSON answers as on /graphql (413 PAYLOAD_TOO_LARGE, 400 BAD_USER_INPUT), in
      // JSON, not Express's HTML error page.
      app.use(PARTNER_PATH, bodyErrorHandler(opts.logger, PARTNER_BODY_BYTES));
    },
    /** After the last request has been answered (the gateway closes its server first): then the last usage report. */
    async stop() {
      await apollo.stop();
      await keys.close();
    },
  };
}
export type PartnerEndpoint = Awaited<ReturnType<typeof createPartnerEndpoint>>;
