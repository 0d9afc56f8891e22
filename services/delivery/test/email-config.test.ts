import { describe, expect, it } from 'vitest';
import { createEmailTransport } from '../src/transports/email.js';
import { TransportError } from '../src/transports/errors.js';

describe('EMAIL on a platform without an SMTP server', () => {
  it('tells the tenant that email is not set up here, for good, without the operator\'s variable', async () => {
    const transport = createEmailTransport({ smtp: undefined, timeoutMs: 1_000 });
    const err = await transport.probe({} as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect(err).toMatchObject({ stage: 'CONFIG', permanent: true });
    expect((err as Error).message).toMatch(/not set up on this platform/);
    expect((err as Error).message).not.toMatch(/DELIVERY_SMTP_URL/);
  });
});
