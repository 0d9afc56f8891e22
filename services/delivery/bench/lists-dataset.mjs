// The dataset and the cases of the lists benchmark (bench/lists-bench.mjs), also loaded at a smaller scale by
// test/list-indexes.test.ts to pin each list's page to its index. Each table holds `rows.big` rows of one tenant and
// `rows.small` of each of 50 others (`datasetSql` of @rowline/testing). The ledger is newest first: the big tenant
// delivered from 90 to 30 days before now and has been quiet since (the adversarial case for a walk of the primary
// key); two deliveries per run; 98% SUCCEEDED, 1.5% DEAD, and in the last hours FAILED (a retry due), PENDING and
// IN_PROGRESS ones. Destinations and routes are oldest first: the big tenant joined 60 days ago; its routes join
// half as many workflows to 20 destinations.
import { tenantEm } from '@rowline/kit';
import { datasetSql, fixedId } from '@rowline/testing/lists-bench';

export const tenants = { big: fixedId('tenant:big'), small: fixedId('tenant:1'), t50: fixedId('tenant:50') };

export const tables = ['delivery.deliveries', 'delivery.destinations', 'delivery.routes'];

export async function load(sql, rows) {
  for (const statement of datasetSql('newest', rows)) await sql(statement);
  await sql(`insert into delivery.deliveries ("id", "tenant_id", "execution_id", "workflow_id", "route_id", "destination_id",
      "artifact_file_id", "artifact_name", "status", "attempt_count", "next_attempt_at", "idempotency_key", "created_at", "updated_at",
      "file_name", "artifact_size", "artifact_sha256", "artifact_content_type", "lease_until", "last_error", "trace_headers")
    select pg_temp.uuid7(at), tenant, md5(tenant || ':execution:' || (i / 2))::uuid, md5(tenant || ':workflow:' || (i % 50))::uuid,
      md5(tenant || ':route:' || (i % 100))::uuid, md5(tenant || ':destination:' || (i % 20))::uuid, gen_random_uuid(), 'report.xlsx',
      status, case when status = 'PENDING' then 0 when status = 'DEAD' then 3 when status = 'FAILED' then 2 else 1 end,
      case when status in ('PENDING', 'FAILED') then now() + interval '5 minutes' end, gen_random_uuid()::text, at, at,
      'report-' || i || '.xlsx', 48000, md5(i::text) || md5(tenant::text), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      case when status = 'IN_PROGRESS' then now() + interval '30 seconds' end,
      case when status in ('FAILED', 'DEAD') then 'HTTP 503 from the receiver' end,
      '{"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}'::jsonb
    from (
      select tenant, i, at,
        case when at > now() - interval '1 minute' then 'PENDING'
             when at > now() - interval '3 minutes' and r < 0.5 then 'IN_PROGRESS'
             when at > now() - interval '3 hours' and r < 0.02 then 'FAILED'
             when r < 0.015 then 'DEAD' else 'SUCCEEDED' end as status
      from (select t.id as tenant, i, pg_temp.moment(t.quiet_days, t.active_days) as at, random() as r
              from t, generate_series(1, t.rows) i) x
    ) s
    order by at`);
  for (const statement of datasetSql('oldest', rows)) await sql(statement);
  await sql(`insert into delivery.destinations ("id", "tenant_id", "name", "kind", "config", "secrets", "secret_fields", "enabled", "created_at", "updated_at")
    select pg_temp.uuid7(at), tenant, 'partner-' || i, 'WEBHOOK', jsonb_build_object('url', 'https://partner-' || i || '.example/hooks/rowline'),
      'v1.' || md5(i::text) || md5(tenant::text), '["secret"]'::jsonb, true, at, at
    from (select t.id as tenant, i, pg_temp.moment(t.quiet_days, t.active_days) as at from t, generate_series(1, t.rows) i) x
    order by at`);
  // A tenant's routes join its workflows, two each, to its first 20 destinations (by name).
  await sql(`insert into delivery.routes ("id", "tenant_id", "workflow_id", "destination_id", "artifact_pattern", "file_name_template", "created_at")
    select pg_temp.uuid7(at), tenant, md5(tenant || ':workflow:' || (i / 2))::uuid, d.id, '*.xlsx', '{stem}-{date}.{ext}', at
    from (select t.id as tenant, i, pg_temp.moment(t.quiet_days, t.active_days) as at from t, generate_series(1, t.rows) i) x
    join delivery.destinations d on d.tenant_id = x.tenant and d.name = 'partner-' || (x.i % 20 + 1)
    order by at`);
}

/**
 * Each list under each filter a client can send, for the big tenant and small ones. `domain`: this service's domain
 * modules (dist/ for the benchmark, src/ for the tests).
 */
export async function cases(domain, orm, sql) {
  const ledger = domain.createDeliveriesDomain({ ledger: undefined });
  const destinations = domain.createDestinationsDomain({ parseConfig: undefined, box: undefined });
  const routes = domain.createRoutesDomain({ destinations, checkWorkflow: undefined });
  const em = (tenant) => tenantEm(orm, tenants[tenant]);
  const execution = fixedId(`${tenants.big}:execution:12`);
  const deliveries = [
    ['none', {}], ['status: SUCCEEDED', { status: 'SUCCEEDED' }], ['status: DEAD', { status: 'DEAD' }], ['status: FAILED', { status: 'FAILED' }],
    ['executionId', { executionId: execution }], ['executionId, status: DEAD', { executionId: execution, status: 'DEAD' }],
  ];
  const destinationId = {};
  for (const tenant of ['big', 'small']) {
    [{ id: destinationId[tenant] }] = await sql(`select id from delivery.destinations where tenant_id = '${tenants[tenant]}' and name = 'partner-1'`);
  }
  return [
    ...deliveries.map(([filter, f]) => ({ list: 'deliveries', filter, tenant: 'big', run: () => ledger.list(em('big'), { first: 20, ...f }) })),
    ...['small', 't50'].flatMap((tenant) => [['none', {}], ['status: DEAD', { status: 'DEAD' }]].map(
      ([filter, f]) => ({ list: 'deliveries', filter, tenant, run: () => ledger.list(em(tenant), { first: 20, ...f }) }))),
    ...['big', 'small', 't50'].map((tenant) => ({ list: 'destinations', filter: 'none', tenant, run: () => destinations.list(em(tenant), { first: 20 }) })),
    ...['big', 'small'].map((tenant) => ({
      list: 'Workflow.routes', filter: 'workflow', tenant,
      run: () => routes.forWorkflow(em(tenant), fixedId(`${tenants[tenant]}:workflow:12`), { first: 20 }),
    })),
    ...['big', 'small'].map((tenant) => ({
      list: 'Destination.routes', filter: 'destination', tenant,
      run: () => routes.forDestination(em(tenant), destinationId[tenant], { first: 20 }),
    })),
  ];
}
