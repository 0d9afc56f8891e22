import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codesOf, startAuth, type AuthHarness } from './support/harness.js';

let auth: AuthHarness;
beforeAll(async () => { auth = await startAuth(); });
afterAll(async () => { await auth?.stop(); });

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/** Rotates once and returns the new refresh token, failing loudly if the rotation was refused. */
async function rotate(refreshToken: string): Promise<string> {
  const res = await auth.refresh(refreshToken);
  if (!res.data) throw new Error(`refresh refused: ${JSON.stringify(res.errors)}`);
  return res.data.refreshSession.refreshToken;
}

async function familyOf(refreshToken: string) {
  const [row] = await auth.sql<{ family_id: string }>('select family_id from auth.refresh_tokens where token_hash = ?', [sha256(refreshToken)]);
  return auth.sql<{ used_at: Date | null; revoked_at: Date | null }>(
    'select used_at, revoked_at from auth.refresh_tokens where family_id = ? order by created_at', [row!.family_id]);
}

const live = (rows: Array<{ used_at: Date | null; revoked_at: Date | null }>) => rows.filter((r) => !r.used_at && !r.revoked_at);

describe('refresh tokens', () => {
  it('rotate: the new token works and the old one stops working', async () => {
    const { refreshToken: first } = await auth.signUp();
    const second = await rotate(first);
    expect(second).toMatch(/^rl_rt_[\w-]{43}$/);
    expect(second).not.toBe(first);
    expect(codesOf(await auth.refresh(first))).toEqual(['UNAUTHENTICATED']);
  });

  it('revoke the whole family when a rotated token is used again, so the newest stops working too', async () => {
    const session = await auth.signUp();
    const second = await rotate(session.refreshToken);
    const newest = await rotate(second);

    const replay = await auth.refresh(session.refreshToken);
    expect(codesOf(replay)).toEqual(['UNAUTHENTICATED']);
    expect(replay.errors![0]!.message).toBe('Invalid refresh token');
    expect(codesOf(await auth.refresh(newest))).toEqual(['UNAUTHENTICATED']);
    expect(live(await familyOf(newest))).toEqual([]);
  });

  it('record the reuse in the audit log with the family that was revoked', async () => {
    const session = await auth.signUp();
    await rotate(session.refreshToken);
    await auth.refresh(session.refreshToken);

    const [{ family_id: familyId }] = (await auth.sql<{ family_id: string }>(
      'select family_id from auth.refresh_tokens where token_hash = ?', [sha256(session.refreshToken)])) as [{ family_id: string }];
    const events = await auth.sql('select type, tenant_id, actor_id, details from auth.audit_events where type = ? and tenant_id = ?',
      ['refresh_token.reused', session.tenant.id]);
    expect(events).toEqual([{ type: 'refresh_token.reused', tenant_id: session.tenant.id, actor_id: session.user.id, details: { familyId } }]);
  });

  it('leave other log-ins of the same user alone when one family is revoked', async () => {
    const session = await auth.signUp();
    const laptop = await auth.logIn({ email: session.user.email, password: session.password });
    await rotate(session.refreshToken);
    await auth.refresh(session.refreshToken);
    expect(codesOf(await auth.refresh(laptop.data!.logIn.refreshToken))).toEqual([]);
  });

  it('leave exactly one live token when one token is refreshed twice at once', async () => {
    const session = await auth.signUp();
    // Both refreshes queue behind a lock on the token's row, so they really overlap, whatever the timing.
    const gate = await auth.holdLock('select id from auth.refresh_tokens where token_hash = ? for update', [sha256(session.refreshToken)]);
    const racing = Promise.all([auth.refresh(session.refreshToken), auth.refresh(session.refreshToken)]);
    await gate.waiters(2);
    await gate.release();
    const results = await racing;

    const winners = results.filter((r) => r.data?.refreshSession);
    expect(winners).toHaveLength(1);
    expect(codesOf(results.find((r) => !r.data?.refreshSession)!)).toEqual(['UNAUTHENTICATED']);
    const rows = await familyOf(session.refreshToken);
    expect(rows).toHaveLength(2);
    expect(live(rows)).toHaveLength(1);
    expect(await rotate(winners[0]!.data!.refreshSession.refreshToken)).toBeTruthy();
  });

  it('stop working after log-out, for the token logged out with and every token of its family', async () => {
    const session = await auth.signUp();
    const second = await rotate(session.refreshToken);
    const res = await auth.logOut(second);
    expect(res.data).toEqual({ logOut: true });
    expect(codesOf(await auth.refresh(second))).toEqual(['UNAUTHENTICATED']);
    expect(live(await familyOf(second))).toEqual([]);
  });

  it('answer log-out with an unknown token like any other, revealing nothing', async () => {
    expect((await auth.logOut('rl_rt_not-a-token-anyone-was-given')).data).toEqual({ logOut: true });
  });

  it('stop working once expired', async () => {
    const session = await auth.signUp();
    await auth.sql(`update auth.refresh_tokens set expires_at = now() - interval '1 second' where token_hash = ?`, [sha256(session.refreshToken)]);
    expect(codesOf(await auth.refresh(session.refreshToken))).toEqual(['UNAUTHENTICATED']);
  });

  it('are refused when unknown, empty or an access token', async () => {
    const session = await auth.signUp();
    for (const token of ['rl_rt_made-up', '', session.accessToken]) {
      expect(codesOf(await auth.refresh(token)), token).toEqual(['UNAUTHENTICATED']);
    }
  });

  it('are never stored raw: no column of any auth table holds one, only its SHA-256', async () => {
    const session = await auth.signUp();
    const rotated = await rotate(session.refreshToken);
    const tables = await auth.sql<{ table_name: string }>(`select table_name from information_schema.tables where table_schema = 'auth'`);
    expect(tables.map((t) => t.table_name)).toContain('refresh_tokens');

    for (const { table_name: table } of tables) {
      const rows = await auth.sql<{ row: string }>(`select row_to_json(t)::text as row from auth."${table}" t`);
      for (const { row } of rows) {
        for (const token of [session.refreshToken, rotated]) {
          expect(row, `auth.${table}`).not.toContain(token);
          expect(row, `auth.${table}`).not.toContain(token.slice('rl_rt_'.length));
        }
      }
    }
    const hashes = await auth.sql<{ token_hash: string }>('select token_hash from auth.refresh_tokens where user_id = ?', [session.user.id]);
    expect(hashes.map((h) => h.token_hash).sort()).toEqual([sha256(session.refreshToken), sha256(rotated)].sort());
  });
});
