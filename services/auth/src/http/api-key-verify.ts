import express, { type Express } from 'express';
import { z } from 'zod';
import { AppError, badInput, INTERNAL_TOKEN_HEADER, sendError, type InternalTokens, type Logger } from '@rowline/kit';
import type { ApiKeys } from '../domain/api-keys.js';

export const API_KEY_VERIFY_PATH = '/internal/api-keys/verify';
export const API_KEY_USAGE_PATH = '/internal/api-keys/usage';
/** Keys per usage report; the gateway sends more in several. */
export const MAX_USAGE_ENTRIES = 500;

const body = z.object({
  key: z.string().max(200),
  usage: z.object({
    requests: z.number().int().nonnegative().max(1e9),
    points: z.number().int().nonnegative().max(1e12),
  }).optional(),
});

const usageBody = z.object({
  usage: z.array(z.object({
    id: z.string().max(64),
    tenantId: z.string().max(64),
    requests: z.number().int().nonnegative().max(1e9),
    points: z.number().int().nonnegative().max(1e12),
  })).max(MAX_USAGE_ENTRIES),
});

/**
 * The gateway checks a partner's key here (internal token, audience `auth`). The gateway does not know the
 * tenant before this answers, so the call is signed anonymously: the signature alone proves who sent it.
 * An unknown, revoked, expired or malformed key answers 401 UNAUTHENTICATED with one message for all.
 */
export function mountApiKeyRoutes(app: Express, deps: { audience: string; tokens: InternalTokens; apiKeys: ApiKeys; logger: Logger }) {
  const internalCaller = async (req: express.Request) => {
    const token = req.headers[INTERNAL_TOKEN_HEADER];
    if (typeof token !== 'string') throw new AppError('UNAUTHENTICATED', 'Internal token required');
    await deps.tokens.verify(token, deps.audience);
  };
  app.post(API_KEY_VERIFY_PATH, express.json({ limit: '8kb' }), async (req, res) => {
    try {
      await internalCaller(req);
      const parsed = body.safeParse(req.body);
      if (!parsed.success) throw badInput(`body: ${parsed.error.issues[0]!.message}`, { field: parsed.error.issues[0]!.path.join('.') });
      const verified = await deps.apiKeys.verify(parsed.data.key, parsed.data.usage);
      if (!verified) throw new AppError('UNAUTHENTICATED', 'Invalid API key');
      res.json(verified);
    } catch (err) {
      sendError(res, err, deps.logger);
    }
  });
  // The gateway's usage reports (requests and cost points per key since its last report), sent every few
  // seconds while it has any and when it stops; counted for revoked and expired keys too (ApiKeys.recordUsage).
  app.post(API_KEY_USAGE_PATH, express.json({ limit: '128kb' }), async (req, res) => {
    try {
      await internalCaller(req);
      const parsed = usageBody.safeParse(req.body);
      if (!parsed.success) throw badInput(`body: ${parsed.error.issues[0]!.message}`, { field: parsed.error.issues[0]!.path.join('.') });
      res.json({ counted: await deps.apiKeys.recordUsage(parsed.data.usage) });
    } catch (err) {
      sendError(res, err, deps.logger);
    }
  });
}
