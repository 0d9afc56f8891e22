import { randomBytes } from 'node:crypto';
import {
  createInternalTokens, createLogger, createOrm, INTERNAL_TOKEN_HEADER, newId, systemEm, type Role,
} from '@rowline/kit';
import { createDeliveryService, entities, migrations, SCHEMA } from '../../src/index.js';
import { DeliveryAttemptEntity, DeliveryEntity } from '../../src/store/entities.js';
import { createDatabase } from './database.js';
import { startWorkflows } from './workflows.js';

export type GraphQLResult<T = any> = { data?: T; errors?: Array<{ message: string; path?: string[]; extensions: Record<string, any> }> };
export type Caller = { tenantId: string; role: Role };

export const TENANT_A = '0193a000-0000-7000-8000-00000000000a';
export const TENANT_B = '0193a000-0000-7000-8000-00000000000b';

/**
 * The delivery subgraph on its own database, called the way the gateway calls it. It is told of an SMTP server
 * (never reached: these tests deliver nothing) unless `withoutSmtp`, a platform where email is not set up.
 */
export async function startDelivery(opts: { withoutSmtp?: boolean } = {}) {
  const db = await createDatabase();
  const logger = createLogger({ service: 'delivery-test', level: 'silent' });
  const orm = await createOrm({ url: db.url, schema: SCHEMA, entities, migrations, logger });
  const tokens = createInternalTokens(randomBytes(32).toString('hex'));
  const secretKey = randomBytes(32);
  const workflows = await startWorkflows({ url: db.url, tokens, logger });
  const smtp = opts.withoutSmtp ? undefined : { url: 'smtp://mail.rowline.test:587', from: 'Rowline <deliveries@rowline.test>' };
  const { server } = await createDeliveryService({ logger, orm, tokens, secretKey, workflowsUrl: workflows.url, smtp });
  const port = await server.listen(0);

  async function gql<T = any>(caller: Caller, query: string, variables: object = {}): Promise<GraphQLResult<T>> {
    const token = await tokens.sign({ kind: 'user', tenantId: caller.tenantId, subject: 'user-1', role: caller.role, scopes: [] }, 'delivery');
    const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [INTERNAL_TOKEN_HEADER]: token },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as GraphQLResult<T>;
  }

  /** Ledger rows as the (future) consumer would write them. */
  /** Without `destinationId`, the delivery's destination is one that does not exist (deleted). */
  async function insertDelivery(fields: { tenantId: string; executionId: string; artifactName?: string; attempts?: number; destinationId?: string }) {
    const em = systemEm(orm);
    const id = newId();
    em.create(DeliveryEntity, {
      id, tenantId: fields.tenantId, executionId: fields.executionId, workflowId: newId(), routeId: newId(),
      destinationId: fields.destinationId ?? newId(), artifactFileId: newId(), artifactName: fields.artifactName ?? 'report.xlsx',
      status: fields.attempts ? 'FAILED' : 'PENDING', attemptCount: fields.attempts ?? 0, nextAttemptAt: null, idempotencyKey: id,
    });
    for (let i = 0; i < (fields.attempts ?? 0); i++) {
      em.create(DeliveryAttemptEntity, {
        id: newId(), deliveryId: id, tenantId: fields.tenantId, at: new Date(Date.now() + i), outcome: 'FAILED', error: `try ${i + 1}`, durationMs: 10 * (i + 1),
      });
    }
    await em.flush();
    return id;
  }

  return {
    gql,
    insertDelivery,
    /** A real workflow of the tenant (routes must name one). */
    workflow: (tenantId: string) => workflows.create(tenantId),
    orm,
    secretKey,
    async stop() {
      await server.close();
      await workflows.stop();
      await orm.close();
      await db.drop();
    },
  };
}
export type Harness = Awaited<ReturnType<typeof startDelivery>>;

export const owner = (tenantId: string): Caller => ({ tenantId, role: 'OWNER' });
export const viewer = (tenantId: string): Caller => ({ tenantId, role: 'VIEWER' });

export const errorCodes = (result: GraphQLResult) => (result.errors ?? []).map((e) => e.extensions.code);
