import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { AppError, httpStatusOf, type ErrorCode } from '@rowline/kit';
import { gatewayErrorFormatter } from '../errors.js';

/**
 * A refusal of the public endpoint as a GraphQL error: its AppError carries the stable code (kept by the
 * kit's formatter), and `extensions.http` gives Apollo the HTTP status.
 */
export function limitError(code: ErrorCode, message: string, details: Record<string, unknown> = {}, headers?: Record<string, string>) {
  return new GraphQLError(message, {
    originalError: new AppError(code, message, details),
    extensions: { code, http: { status: httpStatusOf(code), ...(headers ? { headers: new Map(Object.entries(headers)) } : {}) } },
  });
}

// graphql 16 spells it "more that": match both, in case a release fixes the typo.
const TOO_MANY_TOKENS = /^Syntax Error: Document contains more th(?:an|at) (\d+) tokens/;

/**
 * The client-visible shape of every error: the gateway's formatter (generic message for anything internal)
 * plus the parser's token limit reported as QUERY_TOO_COMPLEX like the other limits.
 */
export function publicErrorFormatter(opts: { exposeInternal: boolean }) {
  const format = gatewayErrorFormatter(opts);
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const tokens = TOO_MANY_TOKENS.exec(formatted.message);
    if (tokens) return { message: `The document has more than ${tokens[1]} tokens`, extensions: { code: 'QUERY_TOO_COMPLEX', limit: 'tokens', max: Number(tokens[1]) } };
    return format(formatted, error);
  };
}
