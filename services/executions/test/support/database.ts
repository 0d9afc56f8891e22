import { randomUUID } from 'node:crypto';
import { createLogger, createOrm, migrate, newId, type Orm } from '@rowline/kit';
import { createTestDatabase } from '@rowline/testing';
import { entities, migrations, SCHEMA } from '../../src/index.js';
import { ExecutionEntity, type Execution } from '../../src/store/entities.js';

export const quiet = createLogger({ service: 'executions-test', level: 'silent' });

/**
 * The executions schema, migrated, on this file's own database (`through`: only up to that migration, as a database
 * at an earlier version). `connect` opens another pool, as another process would.
 */
export async function startExecutionsDatabase(opts: { through?: string } = {}) {
  const db = await createTestDatabase('executions');
  const orms: Orm[] = [];
  const applied = opts.through ? migrations.slice(0, migrations.findIndex((m) => m.name === opts.through) + 1) : migrations;
  const connect = async () => {
    const orm = await createOrm({ url: db.url, schema: SCHEMA, entities, migrations: applied, logger: quiet });
    orms.push(orm);
    return orm;
  };
  const orm = await connect();
  await migrate(orm, SCHEMA);
  const sql = <T = Record<string, any>>(query: string, params: unknown[] = []) => orm.em.fork().getConnection().execute<T[]>(query, params);

  /** A run as the API accepts it (PENDING), written straight to the table; `fields` override any column. */
  async function insertRun(fields: Partial<Execution> = {}): Promise<Execution> {
    const em = orm.em.fork();
    const tenantId = fields.tenantId ?? randomUUID();
    const run = em.create(ExecutionEntity, {
      id: newId(), tenantId, workflowId: newId(), workflowVersionId: newId(), inputFileId: newId(),
      inputFileName: 'Sales.xlsx', inputStorageKey: `${tenantId}/files/input`, steps: [], status: 'PENDING',
      idempotencyKey: randomUUID(), requestedBy: 'user-1', sequence: 1, ...fields,
    });
    await em.flush();
    return run;
  }

  return {
    url: db.url,
    orm,
    connect,
    sql,
    insertRun,
    async stop() {
      for (const o of orms.reverse()) await o.close();
      await db.drop();
    },
  };
}
export type ExecutionsDatabase = Awaited<ReturnType<typeof startExecutionsDatabase>>;
