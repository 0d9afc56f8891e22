import type { Safelist } from './safelist.js';

/**
 * What the public endpoint accepts. Every limit is checked before the operation is planned, so a refused
 * operation never reaches a subgraph. Defaults are generous for real clients and small for attackers.
 */
export type LimitsConfig = {
  /** Off only for benchmarks and trusted internal callers: then nothing below is enforced. */
  enabled: boolean;
  maxDepth: number;
  maxAliases: number;
  /** Top-level fields in one operation (each is at least one subgraph call). */
  maxRootFields: number;
  /** Lexer tokens in one document: bounds the work of parsing before anything else runs. */
  maxTokens: number;
  maxBodyBytes: number;
  /** The largest `first`/`last` a list argument may ask for. */
  maxPageSize: number;
  /** The largest static cost one operation may have. */
  maxCost: number;
  /** Cost a tenant (or an anonymous client address) may spend per minute, per gateway instance. */
  costBudgetPerMinute: number;
  /** JSON arrays of operations in one request. Off: one request, one operation, one cost check. */
  batching: boolean;
  /** "Did you mean ...?" hints in validation errors; they reveal the schema, so off outside development. */
  suggestions: boolean;
  safelist?: Safelist;
};

export const DEFAULT_LIMITS: LimitsConfig = {
  enabled: true,
  maxDepth: 12,
  maxAliases: 30,
  maxRootFields: 20,
  maxTokens: 5000,
  maxBodyBytes: 1 << 20,
  maxPageSize: 100,
  maxCost: 20_000,
  costBudgetPerMinute: 200_000,
  batching: false,
  suggestions: false,
};
