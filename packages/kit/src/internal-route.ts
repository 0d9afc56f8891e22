import type { Request, RequestHandler, Response } from 'express';
import { AppError, httpStatusOf } from './errors.js';
import type { InternalTokens, Principal } from './internal-token.js';
import type { Logger } from './logger.js';
import { INTERNAL_TOKEN_HEADER } from './server.js';

/**
 * An HTTP handler for service-to-service calls: verifies the internal token for this service's audience,
 * requires a tenant principal, and maps AppErrors to `{error: {code, message}}` with the matching status.
 */
export function internalRoute(
  deps: { tokens: InternalTokens; audience: string; logger: Logger },
  handler: (principal: Principal, req: Request, res: Response) => Promise<unknown>,
): RequestHandler {
  return async (req, res) => {
    try {
      const token = req.headers[INTERNAL_TOKEN_HEADER];
      const principal = typeof token === 'string' ? await deps.tokens.verify(token, deps.audience) : null;
      if (!principal) throw new AppError('UNAUTHENTICATED', 'Internal token required');
      const body = await handler(principal, req, res);
      if (!res.headersSent) res.json(body ?? {});
    } catch (err) {
      sendError(res, err, deps.logger);
    }
  };
}

export function sendError(res: Response, err: unknown, logger: Logger): void {
  if (res.headersSent) { res.destroy(); return; }
  if (err instanceof AppError) {
    res.status(httpStatusOf(err.code)).json({ error: { code: err.code, message: err.message, ...err.details } });
    return;
  }
  logger.error({ err }, 'unexpected error in HTTP route');
  res.status(500).json({ error: { code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' } });
}
