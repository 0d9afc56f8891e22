import { z } from 'zod';
import { badInput } from '@rowline/kit';
import type { DestinationKind } from '../store/entities.js';
import { plainIssue } from './config-issues.js';
import type { HostPolicy } from './host-policy.js';
import type { Secrets } from './secret-box.js';

/** What the API shows in place of a stored secret; sent back unchanged on update, it keeps the secret. */
export const SECRET_MASK = '********';

type KindSpec = {
  schema: z.ZodType<Record<string, unknown>>;
  /** Fields stored encrypted and never returned. */
  secretFields: readonly string[];
  /** Secret fields that replace one another: setting one on update drops the others (SFTP password | key). */
  alternatives?: readonly string[];
};

export type ParsedConfig = { config: Record<string, unknown>; secrets: Secrets };
export type ConfigParser = ReturnType<typeof createConfigParser>;

const text = (max: number) => z.string().trim().min(1).max(max);
const oneLine = (max: number) => text(max).regex(/^[^\r\n]*$/, 'must be a single line');
const port = (fallback: number) => z.number().int().min(1).max(65535).default(fallback);
const path = (max: number) => z.string().trim().max(max)
  .refine((p) => !p.split('/').includes('..'), 'must not contain ".." segments')
  .refine((p) => !/[\u0000-\u001f]/.test(p), 'must not contain control characters');

function kindSpecs(policy: HostPolicy): Record<DestinationKind, KindSpec> {
  const host = z.string().trim().min(1).max(253)
    .regex(/^[A-Za-z0-9.\-:[\]]+$/, 'must be a host name or IP address')
    .refine((h) => policy.allowsHost(h), 'must not be a loopback, private or link-local address');

  const webUrl = z.string().trim().max(2000).superRefine((value, ctx) => {
    let url: URL;
    try { url = new URL(value); } catch { ctx.addIssue({ code: 'custom', message: 'must be an absolute URL' }); return; }
    if (url.username || url.password) ctx.addIssue({ code: 'custom', message: 'must not carry credentials' });
    const plainOk = url.protocol === 'http:' && policy.allowsPlainHttp(url.hostname);
    if (url.protocol !== 'https:' && !plainOk) ctx.addIssue({ code: 'custom', message: 'must use https' });
    if (!policy.allowsHost(url.hostname)) ctx.addIssue({ code: 'custom', message: 'must not point at a loopback, private or link-local address' });
  });

  const sftp = z.strictObject({
    host, port: port(22), username: oneLine(200),
    password: z.string().min(1).max(1000).optional(),
    privateKey: z.string().min(1).max(20_000).optional(),
    hostKeySha256: z.string().trim().regex(/^(SHA256:)?[A-Za-z0-9+/]{43}=?$/, 'must be the SHA-256 fingerprint of the server host key'),
    directory: path(500).pipe(z.string().min(1)),
  }).refine((c) => (c.password === undefined) !== (c.privateKey === undefined), {
    message: 'exactly one of password and privateKey is required', path: ['password'],
  });

  return {
    WEBHOOK: {
      schema: z.strictObject({ url: webUrl, secret: z.string().min(16, 'must have at least 16 characters').max(512).optional() }),
      secretFields: ['secret'],
    },
    SFTP: { schema: sftp, secretFields: ['password', 'privateKey'], alternatives: ['password', 'privateKey'] },
    FTP: {
      schema: z.strictObject({
        host, port: port(21), username: oneLine(200), password: z.string().min(1).max(1000),
        tls: z.enum(['NONE', 'EXPLICIT', 'IMPLICIT']), directory: path(500).pipe(z.string().min(1)),
      }),
      secretFields: ['password'],
    },
    S3: {
      schema: z.strictObject({
        bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid S3 bucket name'),
        prefix: path(500).default(''),
        region: z.string().regex(/^[a-z0-9-]{2,40}$/, 'must be a region name such as eu-west-1'),
        endpoint: webUrl.optional(),
        accessKeyId: oneLine(128),
        secretAccessKey: z.string().min(1).max(256),
      }),
      secretFields: ['secretAccessKey'],
    },
    EMAIL: {
      schema: z.strictObject({
        to: z.array(z.email()).min(1).max(50),
        subject: oneLine(200),
        attach: z.boolean().default(true),
      }),
      secretFields: [],
    },
  };
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Validates a destination's config for its kind and splits the secret fields off. On update, `stored` holds
 * the current secrets: an omitted or masked secret keeps its value, `null` removes it. Unknown fields are
 * refused, so a misspelt secret (`pasword`) can never land in the clear-text config.
 */
export function createConfigParser(policy: HostPolicy) {
  const specs = kindSpecs(policy);
  return function parseConfig(kind: DestinationKind, raw: unknown, stored: Secrets = {}): ParsedConfig {
    if (!isPlainObject(raw)) throw invalid(kind, [{ path: 'config', message: 'must be an object' }]);
    const spec = specs[kind];
    const given = Object.fromEntries(Object.entries(raw).filter(([k, v]) => !(spec.secretFields.includes(k) && v === SECRET_MASK)));
    const replacesAlternative = spec.alternatives?.some((k) => k in given) ?? false;
    const kept = Object.fromEntries(Object.entries(stored).filter(([k]) => !(replacesAlternative && spec.alternatives?.includes(k))));
    const merged = Object.fromEntries(Object.entries({ ...kept, ...given }).filter(([, v]) => v !== null));

    const parsed = spec.schema.safeParse(merged, { error: plainIssue });
    if (!parsed.success) {
      throw invalid(kind, parsed.error.issues.map((i) => ({ path: ['config', ...i.path.map(String)].join('.'), message: i.message })));
    }
    const config: Record<string, unknown> = {};
    const secrets: Secrets = {};
    for (const [key, value] of Object.entries(parsed.data)) {
      if (spec.secretFields.includes(key)) secrets[key] = String(value);
      else config[key] = value;
    }
    return { config, secrets };
  };
}

function invalid(kind: DestinationKind, issues: Array<{ path: string; message: string }>) {
  const first = issues[0]!;
  return badInput(`Invalid ${kind} config: ${first.path} ${first.message}`, { path: first.path, issues });
}
