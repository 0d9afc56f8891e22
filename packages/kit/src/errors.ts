import type { GraphQLFormattedError } from 'graphql';

/** Stable error codes: the API contract for clients (extensions.code). */
export type ErrorCode =
  | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'BAD_USER_INPUT' | 'CONFLICT' | 'RATE_LIMITED'
  | 'UNSUPPORTED_FILE' | 'PAYLOAD_TOO_LARGE' | 'INTERNAL_SERVER_ERROR' | 'UNAVAILABLE'
  | 'QUOTA_EXCEEDED' | 'QUERY_TOO_COMPLEX' | 'OPERATION_NOT_ALLOWED' | 'METHOD_NOT_ALLOWED' | 'COUNT_TIMEOUT';

/** An expected failure. Domain code throws these; the GraphQL and HTTP layers map them in one place. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const notFound = (what: string, id?: string) =>
  new AppError('NOT_FOUND', id ? `${what} ${id} was not found` : `${what} was not found`);
export const badInput = (message: string, details: Record<string, unknown> = {}) =>
  new AppError('BAD_USER_INPUT', message, details);
export const conflict = (message: string, details: Record<string, unknown> = {}) =>
  new AppError('CONFLICT', message, details);
export const forbidden = (message = 'You are not allowed to do this') => new AppError('FORBIDDEN', message);
export const unauthenticated = (message = 'Authentication required') => new AppError('UNAUTHENTICATED', message);

const HTTP_STATUS: Record<ErrorCode, number> = {
  UNAUTHENTICATED: 401, FORBIDDEN: 403, NOT_FOUND: 404, BAD_USER_INPUT: 400, CONFLICT: 409,
  RATE_LIMITED: 429, UNSUPPORTED_FILE: 415, PAYLOAD_TOO_LARGE: 413, INTERNAL_SERVER_ERROR: 500, UNAVAILABLE: 503,
  QUOTA_EXCEEDED: 403, QUERY_TOO_COMPLEX: 400, OPERATION_NOT_ALLOWED: 403, METHOD_NOT_ALLOWED: 405, COUNT_TIMEOUT: 503,
};
export const httpStatusOf = (code: ErrorCode): number => HTTP_STATUS[code];

/**
 * The one place errors become client-visible. AppErrors keep their code and message; anything else is an
 * internal error, reported with a generic message and the request id so the operator can find the log line.
 */
export function formatGraphQLError(
  formatted: GraphQLFormattedError,
  error: unknown,
  opts: { exposeInternal: boolean },
): GraphQLFormattedError {
  const original = appErrorOf(error);
  if (original) {
    return { ...formatted, message: original.message, extensions: { ...original.details, code: original.code } };
  }
  if (!isInternalError(error, formatted.extensions?.code) || opts.exposeInternal) return withoutStack(formatted);
  return { message: 'Internal server error', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}

/**
 * What formatGraphQLError hides from clients: no AppError behind it, and no code or INTERNAL_SERVER_ERROR.
 * Whoever hides one logs it with the request id, the only trace the client gets. `code`: the formatted
 * error's, when the caller has it; otherwise the error's own.
 */
export function isInternalError(error: unknown, code?: unknown): boolean {
  const known = code ?? (error as { extensions?: { code?: unknown } } | undefined)?.extensions?.code;
  return !appErrorOf(error) && (typeof known !== 'string' || known === 'INTERNAL_SERVER_ERROR');
}

function withoutStack(formatted: GraphQLFormattedError): GraphQLFormattedError {
  if (!formatted.extensions) return formatted;
  const { stacktrace: _dropped, ...extensions } = formatted.extensions as Record<string, unknown>;
  return { ...formatted, extensions };
}

/**
 * The AppError behind a thrown value, if any. Duck-typed on purpose: graphql ships ESM and CJS builds, and
 * Apollo's copy of GraphQLError is not always the one `instanceof` would compare against.
 */
export function appErrorOf(error: unknown): AppError | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 4; depth++) {
    if (current instanceof AppError) return current;
    current = (current as { originalError?: unknown }).originalError;
  }
  return undefined;
}
