import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codesOf, PASSWORD, principalOf, startAuth, type AuthHarness, type GraphQLResult } from './support/harness.js';

const WINDOW = 900;
let auth: AuthHarness;
beforeAll(async () => {
  auth = await startAuth({
    loginLimits: {
      perAccount: { max: 3, windowSeconds: WINDOW },
      perAddress: { max: 6, windowSeconds: WINDOW },
      signUpPerAddress: { max: 2, windowSeconds: 3600 },
    },
  });
});
afterAll(async () => { await auth?.stop(); });

let nextAddress = 1;
/** A client address of its own per test, so the per-address counter of one test never limits another. */
const freshAddress = () => `198.51.100.${nextAddress++}`;

function expectRateLimited(res: GraphQLResult, windowSeconds = WINDOW) {
  expect(codesOf(res)).toEqual(['RATE_LIMITED']);
  const retryAfter = res.errors![0]!.extensions.retryAfter;
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(windowSeconds);
}

describe('log-in rate limits', () => {
  it('stop an account after 3 failures, even with the right password, with a retryAfter in seconds', async () => {
    const ada = await auth.signUp();
    const address = freshAddress();
    for (let i = 0; i < 3; i++) expect(codesOf(await auth.logIn({ email: ada.user.email, password: 'wrong password!' }, address))).toEqual(['UNAUTHENTICATED']);
    expectRateLimited(await auth.logIn({ email: ada.user.email, password: ada.password }, address));
    expectRateLimited(await auth.logIn({ email: ada.user.email, password: ada.password }, freshAddress()));
  });

  it('treat an unknown email exactly like a known one, so the limit reveals nothing', async () => {
    const ada = await auth.signUp();
    const ghost = `ghost-${randomUUID()}@example.com`;
    const answers: Array<Array<unknown>> = [[], []];
    for (let i = 0; i < 4; i++) {
      answers[0]!.push(codesOf(await auth.logIn({ email: ada.user.email, password: 'wrong password!' }, freshAddress())));
      answers[1]!.push(codesOf(await auth.logIn({ email: ghost, password: 'wrong password!' }, freshAddress())));
    }
    expect(answers[0]).toEqual([['UNAUTHENTICATED'], ['UNAUTHENTICATED'], ['UNAUTHENTICATED'], ['RATE_LIMITED']]);
    expect(answers[1]).toEqual(answers[0]);
  });

  it('stop an address that sprays many accounts, while other addresses still log in', async () => {
    const ada = await auth.signUp();
    const sprayer = freshAddress();
    for (let i = 0; i < 6; i++) await auth.logIn({ email: `spray-${randomUUID()}@example.com`, password: 'wrong password!' }, sprayer);
    expectRateLimited(await auth.logIn({ email: ada.user.email, password: ada.password }, sprayer));
    expect(codesOf(await auth.logIn({ email: ada.user.email, password: ada.password }, freshAddress()))).toEqual([]);
  });

  it('forget an account\'s failures after a successful log-in', async () => {
    const ada = await auth.signUp();
    const address = freshAddress();
    for (let i = 0; i < 2; i++) await auth.logIn({ email: ada.user.email, password: 'wrong password!' }, address);
    expect(codesOf(await auth.logIn({ email: ada.user.email, password: ada.password }, address))).toEqual([]);
    for (let i = 0; i < 2; i++) await auth.logIn({ email: ada.user.email, password: 'wrong password!' }, address);
    expect(codesOf(await auth.logIn({ email: ada.user.email, password: ada.password }, address))).toEqual([]);
  });

  it('let the account in again once its window has passed', async () => {
    const ada = await auth.signUp();
    for (let i = 0; i < 3; i++) await auth.logIn({ email: ada.user.email, password: 'wrong password!' }, freshAddress());
    expectRateLimited(await auth.logIn({ email: ada.user.email, password: ada.password }, freshAddress()));
    await auth.sql(`update auth.rate_limits set window_start = now() - interval '${WINDOW + 1} seconds' where key = ?`, [`login:account:${ada.user.email}`]);
    expect(codesOf(await auth.logIn({ email: ada.user.email, password: ada.password }, freshAddress()))).toEqual([]);
  });

  it('count wrong passwords typed into a password change or an invitation like failed log-ins', async () => {
    const ada = await auth.signUp();
    const other = await auth.signUp();
    const change = () => auth.gql('mutation($i: ChangePasswordInput!) { changePassword(input: $i) }',
      { i: { currentPassword: 'wrong password!', newPassword: 'a new passphrase here' } }, principalOf(ada));
    const invited = await auth.gql('mutation($i: InviteMemberInput!) { inviteMember(input: $i) { token } }', { i: { email: ada.user.email, role: 'MEMBER' } }, principalOf(other));
    const accept = () => auth.gql('mutation($i: AcceptInvitationInput!) { acceptInvitation(input: $i) { role } }',
      { i: { token: invited.data.inviteMember.token, password: 'wrong password!' } });
    expect(codesOf(await change())).toEqual(['UNAUTHENTICATED']);
    expect(codesOf(await accept())).toEqual(['UNAUTHENTICATED']);
    expect(codesOf(await change())).toEqual(['UNAUTHENTICATED']);
    expectRateLimited(await accept());
    expectRateLimited(await auth.logIn({ email: ada.user.email, password: ada.password }, freshAddress()));
  });

  it('record a limited attempt in the audit log', async () => {
    const email = `limited-${randomUUID()}@example.com`;
    const address = freshAddress();
    for (let i = 0; i < 4; i++) await auth.logIn({ email, password: 'wrong password!' }, address);
    const rows = await auth.sql<{ type: string; address: string }>(
      `select type, address from auth.audit_events where details->>'email' = ? order by id`, [email]);
    expect(rows.map((r) => r.type)).toEqual(['login.failed', 'login.failed', 'login.failed', 'login.rate_limited']);
    expect(new Set(rows.map((r) => r.address))).toEqual(new Set([address]));
  });
});

describe('limits per address', () => {
  it('leave loopback callers (tests, the embedded mode) to the per-account limit alone', async () => {
    for (let i = 0; i < 8; i++) await auth.logIn({ email: `loop-${randomUUID()}@example.com`, password: 'wrong password!' }, '127.0.0.1');
    const ada = await auth.signUp();
    expect(codesOf(await auth.logIn({ email: ada.user.email, password: ada.password }, '127.0.0.1'))).toEqual([]);
    expect(codesOf(await auth.logIn({ email: ada.user.email, password: ada.password }, '::ffff:127.0.0.1'))).toEqual([]);
  });
});

describe('sign-up rate limits', () => {
  it('stop an address after 2 sign-ups an hour, so probing which emails exist stays slow', async () => {
    const address = freshAddress();
    const signUp = (email: string) => auth.gql(`mutation($i: SignUpInput!) { signUp(input: $i) { tenant { id } } }`,
      { i: { email, password: PASSWORD, name: 'Probe', tenantName: 'Probe' } }, null, address);
    expect(codesOf(await signUp(`a-${randomUUID()}@example.com`))).toEqual([]);
    expect(codesOf(await signUp(`b-${randomUUID()}@example.com`))).toEqual([]);
    expectRateLimited(await signUp(`c-${randomUUID()}@example.com`), 3600);
  });
});
