import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { AppError, appErrorOf, badInput, conflict, formatGraphQLError, httpStatusOf } from '@rowline/kit';

/** What Apollo hands to formatError: the formatted error and the thrown value behind it. */
function thrown(error: Error, extensions: Record<string, unknown> = {}) {
  const wrapped = new GraphQLError(error.message, { path: ['workflows'], originalError: error, extensions });
  const formatted: GraphQLFormattedError = { ...wrapped.toJSON(), extensions: { ...extensions, stacktrace: ['at secret.ts:1'] } };
  return { formatted, wrapped };
}

const hidden = { exposeInternal: false };

describe('formatGraphQLError', () => {
  it('keeps an AppError\'s code, message and details', () => {
    const { formatted, wrapped } = thrown(badInput('first must be between 1 and 100', { argument: 'first' }), { code: 'INTERNAL_SERVER_ERROR' });
    expect(formatGraphQLError(formatted, wrapped, hidden)).toEqual({
      message: 'first must be between 1 and 100',
      path: ['workflows'],
      extensions: { argument: 'first', code: 'BAD_USER_INPUT' },
    });
  });

  it('does not let an AppError\'s details overwrite its code', () => {
    const { formatted, wrapped } = thrown(conflict('stale base version', { code: 'OK' }));
    expect(formatGraphQLError(formatted, wrapped, hidden).extensions?.code).toBe('CONFLICT');
  });

  it('finds an AppError wrapped by several layers of GraphQLError', () => {
    const inner = new GraphQLError('outer', { originalError: new GraphQLError('inner', { originalError: new AppError('NOT_FOUND', 'Workflow w-1 was not found') }) });
    const result = formatGraphQLError({ message: 'outer' }, inner, hidden);
    expect(result).toMatchObject({ message: 'Workflow w-1 was not found', extensions: { code: 'NOT_FOUND' } });
  });

  it('hides the message, details and stack of an unexpected error behind a generic internal error', () => {
    const { formatted, wrapped } = thrown(new Error('connect ECONNREFUSED 10.0.3.7:5432 (password=hunter2)'), { code: 'INTERNAL_SERVER_ERROR', sql: 'select 1' });
    const result = formatGraphQLError(formatted, wrapped, hidden);
    expect(result).toEqual({ message: 'Internal server error', path: ['workflows'], extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  });

  it('hides an unexpected error that carries no code at all', () => {
    const result = formatGraphQLError({ message: 'Cannot read properties of undefined' }, new TypeError('Cannot read properties of undefined'), hidden);
    expect(result).toMatchObject({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  });

  it('shows an unexpected error\'s message only when told to, and never its stack', () => {
    const { formatted, wrapped } = thrown(new Error('boom in dev'), { code: 'INTERNAL_SERVER_ERROR' });
    const result = formatGraphQLError(formatted, wrapped, { exposeInternal: true });
    expect(result.message).toBe('boom in dev');
    expect(result.extensions).not.toHaveProperty('stacktrace');
  });

  it('keeps GraphQL\'s own coded errors, such as validation failures, without their stack', () => {
    const formatted: GraphQLFormattedError = {
      message: 'Cannot query field "nope" on type "Query".',
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED', stacktrace: ['GraphQLError: ...'] },
    };
    expect(formatGraphQLError(formatted, new GraphQLError(formatted.message), hidden)).toEqual({
      message: formatted.message, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
  });
});

describe('error codes', () => {
  it('map to the HTTP statuses clients expect', () => {
    expect(httpStatusOf('UNAUTHENTICATED')).toBe(401);
    expect(httpStatusOf('FORBIDDEN')).toBe(403);
    expect(httpStatusOf('NOT_FOUND')).toBe(404);
    expect(httpStatusOf('CONFLICT')).toBe(409);
    expect(httpStatusOf('RATE_LIMITED')).toBe(429);
  });

  it('are found only on AppErrors, not on look-alikes', () => {
    expect(appErrorOf({ code: 'FORBIDDEN', message: 'x' })).toBeUndefined();
    expect(appErrorOf(undefined)).toBeUndefined();
  });
});
