import { randomUUID } from 'node:crypto';
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { Logger } from '@rowline/kit';
import { sha256Hex, type Safelist } from './safelist.js';

function refuse(res: Response, status: number, code: string, message: string) {
  const requestId = (res.locals.requestId as string | undefined) ?? randomUUID();
  res.status(status).json({ errors: [{ message, extensions: { code, requestId } }] });
}

type Params = { query?: unknown; extensions?: { persistedQuery?: { sha256Hash?: unknown } } };

/**
 * Persisted operations: a known hash (POST `extensions.persistedQuery.sha256Hash`) is replaced by its
 * registered text before Apollo sees it; when the list is enforced, every other operation is refused here,
 * before parsing. Hash-only requests come by POST: a GET's parameters cannot be rewritten in place.
 */
export function safelistMiddleware(safelist: Safelist | undefined): RequestHandler {
  if (!safelist) return (_req, _res, next) => next();
  return (req, res, next) => {
    const get = req.method === 'GET';
    const all: Params[] = get ? [getParams(req.query as Record<string, unknown>)] : [req.body].flat();
    for (const params of all) {
      if (!params || typeof params !== 'object') continue;
      const hash = params.extensions?.persistedQuery?.sha256Hash;
      if (typeof params.query !== 'string' && typeof hash === 'string') {
        const body = safelist.operations.get(hash.toLowerCase());
        if (body && !get) {
          params.query = body;
          delete params.extensions!.persistedQuery;
          continue;
        }
        if (safelist.enforce) return refuse(res, 403, 'OPERATION_NOT_ALLOWED', 'Unknown persisted operation: only registered operations are accepted');
      } else if (safelist.enforce && (typeof params.query !== 'string' || !safelist.operations.has(sha256Hex(params.query)))) {
        return refuse(res, 403, 'OPERATION_NOT_ALLOWED', 'Only registered operations are accepted');
      }
    }
    next();
  };
}

function getParams(query: Record<string, unknown>): Params {
  let extensions: Params['extensions'];
  try { extensions = typeof query.extensions === 'string' ? JSON.parse(query.extensions) : undefined; } catch { extensions = undefined; }
  return { query: query.query, extensions };
}

/** Body-parser failures as GraphQL-shaped JSON errors instead of Express's HTML page (with a stack outside production). */
export function bodyErrorHandler(logger: Logger, maxBodyBytes: number): ErrorRequestHandler {
  return (err: { type?: string; status?: number; expose?: boolean; message?: string }, req, res, _next) => {
    if (err?.type === 'entity.too.large') return refuse(res, 413, 'PAYLOAD_TOO_LARGE', `The request body is larger than ${maxBodyBytes} bytes`);
    if (err?.type === 'entity.parse.failed') return refuse(res, 400, 'BAD_USER_INPUT', 'The request body is not valid JSON');
    // The client's other mistakes body-parser names with a 4xx of its own (a charset or a content encoding it
    // does not read, a body shorter than declared, an aborted upload): the client's, not the gateway's (no 5xx,
    // nothing in the error log).
    if (err?.expose && typeof err.status === 'number' && err.status >= 400 && err.status < 500) {
      return refuse(res, err.status, err.status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'BAD_USER_INPUT', err.message ?? 'Bad request body');
    }
    logger.error({ err, requestId: res.locals.requestId, path: req.path }, 'request failed before GraphQL');
    refuse(res, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
  };
}
