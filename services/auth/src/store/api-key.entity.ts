import { defineEntity, p } from '@mikro-orm/core';

/**
 * A tenant's partner API key. Only an HMAC-SHA256 of the key (with the server's API_KEY_SECRET) is kept:
 * a stolen table cannot be replayed or brute-forced offline without that secret as well.
 */
export const ApiKeyEntity = defineEntity({
  name: 'ApiKey',
  tableName: 'api_keys',
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid(),
    name: p.string().length(100),
    /** `rwl_` and the first characters of the key: enough to recognise it in a list, useless to guess it. */
    prefix: p.string().length(16),
    lastFour: p.string().length(4),
    keyHash: p.string().length(64).hidden(),
    scopes: p.json<string[]>(),
    createdBy: p.uuid(),
    createdAt: p.datetime().onCreate(() => new Date()),
    expiresAt: p.datetime().nullable(),
    revokedAt: p.datetime().nullable(),
    lastUsedAt: p.datetime().nullable(),
    /** Successful verifications (the gateway caches one for a short while) and requests it reported served. */
    verifyCount: p.bigint('number').default(0),
    requestCount: p.bigint('number').default(0),
    costPoints: p.bigint('number').default(0),
    rotatedFromId: p.uuid().nullable(),
  },
});
export type ApiKey = InstanceType<typeof ApiKeyEntity.class>;
