// The dataset and the cases of the lists benchmark (bench/lists-bench.mjs), also loaded at a smaller scale by
// test/list-indexes.test.ts to pin each list's page to its index. Each table holds `rows.big` rows of one tenant and
// `rows.small` of each of 50 others (`datasetSql` of @rowline/testing). Workflows are oldest first: the big tenant's
// were made in the last 60 days (the adversarial case for a walk of the primary key), 10% archived. The big
// tenant's versions: half of them of one workflow saved by a script every 30 seconds, 50 each of others.
import { tenantEm } from '@rowline/kit';
import { datasetSql, fixedId } from '@rowline/testing/lists-bench';

export const tenants = { big: fixedId('tenant:big'), small: fixedId('tenant:1'), t50: fixedId('tenant:50') };

export const tables = ['workflows.workflows', 'workflows.workflow_versions'];

const STEPS = '[{"type":"filter","params":{"sheet":"Sales","where":{"all":[{"column":"status","op":"ne","value":"void"},{"column":"amount","op":"gt","value":100}]}}},{"type":"aggregate","params":{"sheet":"Sales","into":"Summary","groupBy":["region"],"measures":[{"column":"amount","fn":"sum","as":"amount"}]}},{"type":"output","params":{"artifacts":[{"name":"report.xlsx","format":"xlsx","sheets":[{"from":"Summary"}]}]}}]';

export async function load(sql, rows) {
  for (const statement of datasetSql('oldest', rows)) await sql(statement);
  await sql(`insert into workflows.workflows ("id", "tenant_id", "name", "description", "status", "latest_version_id", "latest_version_number",
      "created_by", "created_at", "updated_at")
    select pg_temp.uuid7(at), tenant, 'workflow ' || i, 'Weekly sales report for region ' || (i % 40),
      case when random() < 0.1 then 'ARCHIVED' else 'ACTIVE' end, null, 0, 'user:1', at, at
    from (select t.id as tenant, i, pg_temp.moment(t.quiet_days, t.active_days) as at from t, generate_series(1, t.rows) i) x
    order by at`);
  const half = Math.floor(rows.big / 2);
  // Version n of a workflow was saved n times 30 seconds after 60 days ago, so its ids follow its numbers.
  await sql(`insert into workflows.workflow_versions ("id", "tenant_id", "workflow_id", "number", "steps", "note", "created_by", "created_at")
    select pg_temp.uuid7(at), v.tenant, w.id, v.number, '${STEPS}'::jsonb, 'saved by the nightly sync', 'user:1', at
    from (select t.id as tenant,
                 case when t.n > 0 then i when i <= ${half} then 1 else 2 + (i - ${half} - 1) / 50 end as workflow,
                 case when t.n > 0 then 1 when i <= ${half} then i else (i - ${half} - 1) % 50 + 1 end as number
            from t, generate_series(1, t.rows) i) v
    join workflows.workflows w on w.tenant_id = v.tenant and w.name = 'workflow ' || v.workflow,
    lateral (select now() - interval '60 days' + v.number * interval '30 seconds' as at) a
    order by at`);
}

/**
 * `workflows(includeArchived)` and `Workflow.versions` for the big tenant and small ones. `domain`: this service's
 * domain module (dist/ for the benchmark, src/ for the tests).
 */
export async function cases(domain, orm, sql) {
  const workflows = domain.createWorkflowsDomain({ validateSteps: undefined });
  const em = (tenant) => tenantEm(orm, tenants[tenant]);
  const workflowId = async (tenant, name) =>
    (await sql(`select id from workflows.workflows where tenant_id = '${tenants[tenant]}' and name = '${name}'`))[0].id;
  const busy = await workflowId('big', 'workflow 1');
  const usual = await workflowId('big', 'workflow 2');
  const small = await workflowId('small', 'workflow 7');
  const versions = (filter, tenant, id) => ({
    list: 'Workflow.versions', filter, tenant,
    run: () => workflows.versionsOf(em(tenant), id, { first: 20 }),
  });
  return [
    ...['big', 'small', 't50'].flatMap((tenant) => [false, true].map((includeArchived) => ({
      list: 'workflows', filter: includeArchived ? 'includeArchived' : 'none (active)', tenant,
      run: () => workflows.list(em(tenant), { first: 20, includeArchived }),
    }))),
    versions('the busy workflow (half the tenant\'s versions)', 'big', busy),
    versions('a workflow of 50 versions', 'big', usual),
    versions('a workflow of 1 version', 'small', small),
  ];
}
