import type { GatewayEnv } from '../env.js';
import type { LimitsConfig } from './config.js';
import { loadSafelist } from './safelist.js';

/** The limits the environment sets; unset ones keep their defaults. */
export async function limitsFromEnv(env: GatewayEnv): Promise<Partial<LimitsConfig>> {
  const set = <K extends keyof LimitsConfig>(key: K, value: LimitsConfig[K] | undefined) => (value === undefined ? {} : { [key]: value });
  return {
    enabled: env.LIMITS === 'on',
    batching: env.ALLOW_BATCHING === 'true',
    suggestions: env.NODE_ENV === 'development',
    ...set('maxDepth', env.MAX_DEPTH),
    ...set('maxAliases', env.MAX_ALIASES),
    ...set('maxRootFields', env.MAX_ROOT_FIELDS),
    ...set('maxTokens', env.MAX_TOKENS),
    ...set('maxBodyBytes', env.MAX_BODY_BYTES),
    ...set('maxCost', env.MAX_COST),
    ...set('costBudgetPerMinute', env.COST_BUDGET_PER_MINUTE),
    ...(env.SAFELIST_PATH ? { safelist: await loadSafelist(env.SAFELIST_PATH, env.SAFELIST_ENFORCE === 'true') } : {}),
  };
}
