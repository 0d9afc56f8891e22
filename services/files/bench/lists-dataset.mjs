// The dataset and the cases of the lists benchmark (bench/lists-bench.mjs), also loaded at a smaller scale by
// test/list-indexes.test.ts to pin each list's page to its index. `rows.big` files of one tenant made from 90 to 30
// days before now (quiet since: the adversarial case for a newest-first page that walks the primary key) and
// `rows.small` of each of 50 others over the 90 days, tenant 50 quiet for the last 60 (`datasetSql` of
// @rowline/testing). Kinds and statuses as retention leaves them: 60% artifacts, 40% inputs; inputs EXPIRED a day
// after upload, artifacts 30 days after their run, 2% of inputs REJECTED, 3% of files DELETED (tombstones, left
// out of the list), uploads of the last 15 minutes still UPLOADING.
import { tenantEm } from '@rowline/kit';
import { datasetSql, fixedId } from '@rowline/testing/lists-bench';

export const tenants = { big: fixedId('tenant:big'), small: fixedId('tenant:1'), quiet: fixedId('tenant:50') };

export const tables = ['files.files'];

const SHEETS = '[{"name":"Sales","rowCount":1200,"columns":[{"name":"date","type":"date"},{"name":"region","type":"string"},{"name":"amount","type":"number"}]}]';

export async function load(sql, rows) {
  for (const statement of datasetSql('newest', rows)) await sql(statement);
  await sql(`insert into files.files ("id", "tenant_id", "name", "content_type", "declared_content_type", "size", "sha256", "status",
      "rejection_reason", "kind", "execution_id", "storage_key", "sheets", "created_by", "created_at", "updated_at", "expires_at")
    select id, tenant, name, 'text/csv', 'text/csv', 48000, case when status <> 'UPLOADING' then md5(id::text) || md5(name) end, status,
      case when status = 'REJECTED' then 'This file is not UTF-8 text' end, kind, execution,
      case when kind = 'INPUT' then tenant || '/files/' || id else tenant || '/executions/' || execution || '/' || name end,
      case when status in ('READY', 'EXPIRED', 'DELETED') then '${SHEETS}'::jsonb end, 'user:' || (i % 7), at, at,
      case when status in ('READY', 'UPLOADING') then at + case when kind = 'INPUT' then interval '1 day' else interval '30 days' end end
    from (
      select id, tenant, i, at, kind, case when kind = 'ARTIFACT' then gen_random_uuid() end as execution,
        case when kind = 'INPUT' then 'sales-' || i || '.csv' else 'report-' || i || '.xlsx' end as name,
        case when r < 0.03 then 'DELETED'
             when kind = 'INPUT' and r < 0.05 then 'REJECTED'
             when kind = 'INPUT' and at > now() - interval '15 minutes' then 'UPLOADING'
             when at < now() - case when kind = 'INPUT' then interval '1 day' else interval '30 days' end then 'EXPIRED'
             else 'READY' end as status
      from (select pg_temp.uuid7(at) as id, tenant, i, at, r, case when random() < 0.6 then 'ARTIFACT' else 'INPUT' end as kind
              from (select t.id as tenant, i, pg_temp.moment(t.quiet_days, t.active_days) as at, random() as r
                      from t, generate_series(1, t.rows) i) x) y
    ) s
    order by id`);
}

/** `files(kind)` for the big tenant and small ones. `domain`: this service's domain module (dist/ for the benchmark, src/ for the tests). */
export function cases(domain, orm) {
  const files = domain.createFilesDomain({ storage: undefined, links: undefined, maxUploadBytes: 0, logger: undefined, retention: undefined });
  return ['big', 'small', 'quiet'].flatMap((tenant) => [null, 'INPUT', 'ARTIFACT'].map((kind) => ({
    list: 'files', filter: kind ? `kind: ${kind}` : 'none', tenant,
    run: () => files.list(tenantEm(orm, tenants[tenant]), { first: 20, kind }),
  })));
}
