import { z } from 'zod';

export class EnvError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'EnvError';
  }
}

/**
 * Parses the environment against a zod schema and reports every problem at once, so an operator fixes a
 * broken deployment in one round instead of one variable per restart.
 */
export function loadEnv<S extends z.ZodType>(schema: S, source: NodeJS.ProcessEnv = process.env): z.infer<S> {
  // An empty variable counts as unset (compose files and shells produce them with `${X:-}`).
  const present = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== ''));
  const parsed = schema.safeParse(present);
  if (parsed.success) return parsed.data;
  throw new EnvError(parsed.error.issues.map((i) => {
    const name = i.path.join('.');
    if (!name) return `(root): ${i.message}`;
    // zod's own words for a wrong type ("expected number, received NaN") describe its coercion, not the
    // variable: say whether it is unset, and what it must hold. Values are never echoed (secrets).
    if (i.code === 'invalid_type' && i.path.length === 1) {
      const expected = expectation(schema, name) ?? `a ${i.expected}`;
      return present[name] === undefined ? `${name}: not set; expected ${expected}` : `${name}: expected ${expected}`;
    }
    return `${name}: ${i.message}`;
  }));
}

type Field = {
  def: { type: string; innerType?: Field };
  minValue?: number | null; maxValue?: number | null; isInt?: boolean;
  format?: string | null; minLength?: number | null; options?: unknown[];
};

/** What a variable of an object schema must hold, in words, when its schema says it plainly. */
function expectation(schema: z.ZodType, name: string): string | undefined {
  let field = (schema as unknown as { shape?: Record<string, Field> }).shape?.[name];
  while (field?.def.innerType && ['optional', 'default', 'nullable', 'prefault'].includes(field.def.type)) field = field.def.innerType;
  if (!field) return undefined;
  switch (field.def.type) {
    case 'number': {
      const kind = field.isInt ? 'an integer' : 'a number';
      const { minValue: min, maxValue: max } = field;
      const bounded = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v) && Math.abs(v) < Number.MAX_SAFE_INTEGER;
      if (bounded(min) && bounded(max)) return `${kind} from ${min} to ${max}`;
      if (bounded(min)) return `${kind} of at least ${min}`;
      return kind;
    }
    case 'string':
      if (field.format === 'url') return 'a URL';
      if (field.minLength) return `a string of at least ${field.minLength} characters`;
      return 'a value';
    case 'enum': return `one of ${(field.options ?? []).join(', ')}`;
    default: return undefined;
  }
}

/** Common variables every service reads. */
export const baseEnv = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535),
  DATABASE_URL: z.string().url(),
  INTERNAL_TOKEN_SECRET: z.string().min(32, 'must be at least 32 characters'),
  KAFKA_BROKERS: z.string().optional(),
  KAFKA_TOPIC_PREFIX: z.string().default(''),
});

export const csv = (value: string | undefined): string[] =>
  (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
