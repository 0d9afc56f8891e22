// The dataset and the cases of the lists benchmark (bench/lists-bench.mjs), also loaded at a smaller scale by
// test/list-indexes.test.ts to pin each list's page to its index. Each table holds `rows.big` rows of one tenant and
// `rows.small` of each of 50 others (`datasetSql` of @rowline/testing). The audit log and API keys are newest first:
// the big tenant's from 90 to 30 days before now, quiet since (the adversarial case for a walk of the primary key);
// members are oldest first: the big tenant's joined in the last 60 days. Audit types as a tenant's log holds them:
// 70% log-ins, 12% log-outs, 8% failed log-ins, 2% rate-limited, the rest member, password and API key changes
// (0.1% token reuse).
import { datasetSql, fixedId } from '@rowline/testing/lists-bench';

export const tenants = { big: fixedId('tenant:big'), small: fixedId('tenant:1'), t50: fixedId('tenant:50') };

export const tables = ['auth.tenants', 'auth.users', 'auth.memberships', 'auth.api_keys', 'auth.audit_events'];

const AUDIT_MIX = `case when r < 0.70 then 'login.succeeded' when r < 0.82 then 'session.logged_out' when r < 0.90 then 'login.failed'
  when r < 0.92 then 'login.rate_limited' when r < 0.94 then 'member.invited' when r < 0.955 then 'invitation.accepted'
  when r < 0.965 then 'password.changed' when r < 0.973 then 'member.role_changed' when r < 0.978 then 'member.removed'
  when r < 0.988 then 'apiKey.created' when r < 0.994 then 'apiKey.revoked' when r < 0.999 then 'apiKey.rotated'
  else 'refresh_token.reused' end`;

export async function load(sql, rows) {
  for (const statement of datasetSql('newest', rows)) await sql(statement);
  await sql(`insert into auth.tenants ("id", "name", "slug", "created_at") select id, name, replace(name, ':', '-'), now() - interval '91 days' from t`);
  await sql(`insert into auth.audit_events ("id", "tenant_id", "actor_id", "type", "address", "details", "at")
    select pg_temp.uuid7(at), tenant, md5(tenant || ':user:' || (i % 500))::uuid, ${AUDIT_MIX}, '203.0.113.' || (i % 250),
      jsonb_build_object('userAgent', 'Mozilla/5.0', 'email', 'person' || (i % 500) || '@example.com'), at
    from (select t.id as tenant, i, pg_temp.moment(t.quiet_days, t.active_days) as at, random() as r from t, generate_series(1, t.rows) i) x
    order by at`);
  await sql(`insert into auth.api_keys ("id", "tenant_id", "name", "prefix", "last_four", "key_hash", "scopes", "created_by", "created_at",
      "expires_at", "revoked_at", "last_used_at")
    select pg_temp.uuid7(at), tenant, 'integration ' || i, 'rl_live_' || substr(md5(i::text), 1, 8), substr(md5(i::text), 1, 4),
      md5(tenant || ':key:' || i) || md5(i::text), '["workflows:read","executions:read"]'::jsonb, md5(tenant || ':member:1')::uuid, at,
      at + interval '365 days', case when random() < 0.3 then at + interval '30 days' end, at + interval '1 day'
    from (select t.id as tenant, i, pg_temp.moment(t.quiet_days, t.active_days) as at from t, generate_series(1, t.rows) i) x
    order by at`);
  for (const statement of datasetSql('oldest', rows)) await sql(statement);
  await sql(`insert into auth.users ("id", "email", "name", "password_hash", "created_at")
    select md5(t.id || ':member:' || i)::uuid, 'member' || i || '@' || replace(t.name, ':', '-') || '.example', 'Member ' || i,
      '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA', now() - interval '91 days'
    from t, generate_series(1, t.rows) i`);
  await sql(`insert into auth.memberships ("id", "tenant_id", "user_id", "role", "created_at")
    select pg_temp.uuid7(at), tenant, md5(tenant || ':member:' || i)::uuid,
      case when i = 1 then 'OWNER' when i % 50 = 0 then 'ADMIN' when i % 5 = 0 then 'VIEWER' else 'MEMBER' end, at
    from (select t.id as tenant, i, pg_temp.moment(t.quiet_days, t.active_days) as at from t, generate_series(1, t.rows) i) x
    order by at`);
}

/**
 * `members`, `apiKeys` and `auditEvents(type)` for the big tenant and small ones. `domain`: this service's domain
 * modules (dist/ for the benchmark, src/ for the tests).
 */
export function cases(domain, orm) {
  const em = () => orm.em.fork();
  const members = domain.createMembers({ em, sessions: undefined });
  const keys = domain.createApiKeys({ em, secret: 'x'.repeat(32) });
  const audit = (tenant, type) => ({
    list: 'auditEvents', filter: type ? `type: ${type}` : 'none', tenant,
    run: () => domain.listAudit(em(), tenants[tenant], { first: 20, type }),
  });
  return [
    ...['big', 'small', 't50'].map((tenant) => (
      { list: 'members', filter: 'none', tenant, run: () => members.list(tenants[tenant], { first: 20 }) })),
    ...['big', 'small', 't50'].map((tenant) => (
      { list: 'apiKeys', filter: 'none', tenant, run: () => keys.list(tenants[tenant], { first: 20 }) })),
    ...[null, 'login.succeeded', 'login.failed', 'password.changed', 'refresh_token.reused'].map((type) => audit('big', type)),
    ...['small', 't50'].flatMap((tenant) => [null, 'login.failed'].map((type) => audit(tenant, type))),
  ];
}
