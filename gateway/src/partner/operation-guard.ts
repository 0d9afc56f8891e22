import type { RequestHandler } from 'express';
import { Kind, parse, type DocumentNode } from 'graphql';

export const READ_ONLY_MESSAGE = 'The partner API is read-only: only query operations are accepted';

/** True when every operation the document defines is a query; a document that does not parse is left to the server. */
export function onlyQueries(document: DocumentNode): boolean {
  return document.definitions.every((d) => d.kind !== Kind.OPERATION_DEFINITION || d.operation === 'query');
}

function parses(query: string, maxTokens: number | undefined): DocumentNode | null {
  try { return parse(query, { maxTokens }); } catch { return null; }
}

const refuse = (status: number, code: string, message: string) => ({ status, body: { errors: [{ message, extensions: { code } }] } });

/**
 * First line of the read-only rule, before a key is even checked: whatever the transport (POST body, GET
 * query string, a batched JSON array), a document that defines any mutation or subscription is refused
 * as a whole, whichever operationName is asked for. Batches are refused outright: one operation per request.
 * The contract has no Mutation type and an Apollo plugin checks the resolved operation again.
 * `maxTokens` bounds the parsing done here, before any key is checked: a longer document is left to Apollo,
 * which refuses it with the same limit (QUERY_TOO_COMPLEX), once the key has been verified.
 */
export function operationGuard(opts: { maxTokens?: number } = {}): RequestHandler {
  return (req, res, next) => {
    const body: unknown = req.method === 'GET' ? req.query : req.body;
    const requests = Array.isArray(body) ? body : [body];
    for (const r of requests) {
      const query = (r as { query?: unknown } | undefined)?.query;
      const document = typeof query === 'string' ? parses(query, opts.maxTokens) : null;
      if (document && !onlyQueries(document)) {
        const { status, body: reply } = refuse(403, 'FORBIDDEN', READ_ONLY_MESSAGE);
        res.status(status).json(reply);
        return;
      }
    }
    if (Array.isArray(body)) {
      const { status, body: reply } = refuse(400, 'BAD_USER_INPUT', 'Batched requests are not accepted: send one operation per request');
      res.status(status).json(reply);
      return;
    }
    next();
  };
}
