// The dataset and the cases of the lists benchmark (bench/lists-bench.mjs), also loaded at a smaller scale by
// test/list-indexes.test.ts to pin each list's page to its index. `rows.big` runs of one tenant spread over days 90 to
// 30 before now (it has been quiet since: the adversarial case for a newest-first page that walks the primary key)
// on 20 workflows, `rows.small` of each of 50 others over the 90 days, tenant 50 quiet for the last 60
// (`datasetSql` of @rowline/testing). Statuses as a platform sees them: 2% FAILED, 0.5% CANCELLED, 0.2% TIMED_OUT,
// the rest SUCCEEDED, RUNNING in the last two minutes.
import { tenantEm } from '@rowline/kit';
import { datasetSql, fixedId } from '@rowline/testing/lists-bench';

const DAY = 86_400_000;
const ago = (days) => new Date(Date.now() - days * DAY);

export const tenants = { big: fixedId('tenant:big'), small: fixedId('tenant:1'), quiet: fixedId('tenant:50') };

export const tables = ['executions.executions'];

export async function load(sql, rows) {
  for (const statement of datasetSql('newest', rows)) await sql(statement);
  await sql(`insert into executions.executions ("id", "tenant_id", "workflow_id", "workflow_version_id", "input_file_id",
      "input_file_name", "input_storage_key", "input_size", "steps", "status", "phase", "progress_percent", "rows_processed",
      "idempotency_key", "requested_by", "error", "artifacts", "attempt", "sequence", "created_at", "started_at", "finished_at")
    select pg_temp.uuid7(at), tenant, md5(tenant || ':workflow:' || (i % 20))::uuid, md5(tenant || ':version:' || (i % 20))::uuid,
      gen_random_uuid(), 'sales-' || i || '.xlsx', tenant || '/files/' || gen_random_uuid(), 40000,
      '[{"type":"filter","params":{"sheet":"Sales","where":{"all":[{"column":"status","op":"ne","value":"void"},{"column":"amount","op":"gt","value":100}]}}},{"type":"compute_column","params":{"sheet":"Sales","column":"margin","expression":"amount * 0.2"}},{"type":"aggregate","params":{"sheet":"Sales","into":"Summary","groupBy":["region","category"],"measures":[{"column":"amount","fn":"sum","as":"amount"},{"column":"margin","fn":"sum","as":"margin"}]}},{"type":"sort","params":{"sheet":"Summary","by":[{"column":"amount","direction":"desc"}]}},{"type":"output","params":{"artifacts":[{"name":"report.xlsx","format":"xlsx","sheets":[{"from":"Sales","as":"Filtered"},{"from":"Summary"}]}]}}]'::jsonb,
      status, case when status = 'RUNNING' then 'TRANSFORMING' end, case when status = 'SUCCEEDED' then 100 end, 1000,
      'key-' || i, 'user:' || (i % 7),
      case when status in ('FAILED', 'TIMED_OUT', 'CANCELLED') then '{"code":"STEP_FAILED","message":"column amount not found","step":1}'::jsonb end,
      case when status = 'SUCCEEDED' then jsonb_build_array(jsonb_build_object('id', gen_random_uuid(), 'name', 'report.xlsx')) end,
      1, 7, at, at + interval '1 second', case when status <> 'RUNNING' then at + interval '3 seconds' end
    from (
      select tenant, i, at,
        case when at > now() - interval '2 minutes' then 'RUNNING' when r < 0.02 then 'FAILED' when r < 0.025 then 'CANCELLED'
             when r < 0.027 then 'TIMED_OUT' else 'SUCCEEDED' end as status
      from (select t.id as tenant, i, pg_temp.moment(t.quiet_days, t.active_days) as at, random() as r
              from t, generate_series(1, t.rows) i) x
    ) s
    order by at`);
}

/**
 * `executions(filter)` under each filter a client can send, for the big tenant and small ones. `domain`: this
 * service's domain module (dist/ for the benchmark, src/ for the tests).
 */
export function cases(domain, orm) {
  const runs = domain.createExecutionsDomain({ lookups: undefined, onOutbox: () => {} });
  const wf = fixedId(`${tenants.big}:workflow:3`);
  return [
    ['big', 'none', {}],
    ['big', 'status: SUCCEEDED', { status: 'SUCCEEDED' }],
    ['big', 'status: FAILED', { status: 'FAILED' }],
    ['big', 'status: TIMED_OUT', { status: 'TIMED_OUT' }],
    ['big', 'from/to: 20 days (60-40 days ago)', { from: ago(60), to: ago(40) }],
    ['big', 'from: 45 days ago', { from: ago(45) }],
    ['big', 'to: 60 days ago', { to: ago(60) }],
    ['big', 'status: FAILED, from/to: 20 days', { status: 'FAILED', from: ago(60), to: ago(40) }],
    ['big', 'workflowId', { workflowId: wf }],
    ['big', 'workflowId, status: FAILED', { workflowId: wf, status: 'FAILED' }],
    ['big', 'workflowId, from/to: 20 days', { workflowId: wf, from: ago(60), to: ago(40) }],
    ['small', 'none', {}],
    ['small', 'status: FAILED', { status: 'FAILED' }],
    ['small', 'from/to: 20 days (60-40 days ago)', { from: ago(60), to: ago(40) }],
    ['quiet', 'none', {}],
    ['quiet', 'status: SUCCEEDED', { status: 'SUCCEEDED' }],
    ['quiet', 'from/to: 20 days (80-60 days ago)', { from: ago(80), to: ago(60) }],
  ].map(([tenant, filter, f]) => ({
    list: 'executions', filter, tenant, run: () => runs.list(tenantEm(orm, tenants[tenant]), f, { first: 20 }),
  }));
}
