import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager, Page, Principal } from '@rowline/kit';
import { badInput, findPage, conflict, newId, notFound, rowsById } from '@rowline/kit';
import { DestinationEntity, type Destination, type DestinationKind } from '../store/entities.js';
import { SECRET_MASK, type ConfigParser } from './configs.js';
import { secretContext, type SecretBox, type Secrets } from './secret-box.js';

export type DestinationsDomain = ReturnType<typeof createDestinationsDomain>;

/** What clients may see of a config: the clear fields, and a mask where a secret is stored. */
export function visibleConfig(destination: Destination): Record<string, unknown> {
  return { ...destination.config, ...Object.fromEntries(destination.secretFields.map((f) => [f, SECRET_MASK])) };
}

/**
 * An EMAIL destination on a platform without an SMTP server could only fail every delivery (DEAD with CONFIG),
 * so it is refused where the tenant asks for one, in words the tenant can act on (the server is the operator's).
 */
const emailNotSetUp = (path: string) => badInput(
  'Email delivery is not set up on this platform (it has no mail server to send through): choose another kind of destination, or ask the platform\'s operator to set email up',
  { path, reason: 'KIND_NOT_AVAILABLE', kind: 'EMAIL' },
);

/**
 * Destinations and their write-only secrets. Callers pass a tenant-scoped em; no GraphQL here.
 * `emailSetUp`: whether the platform has an SMTP server; without one, no EMAIL destination is created,
 * given a new config, enabled or attached to a workflow (routes.ts). Those that exist keep failing their
 * deliveries (CONFIG) and may still be renamed, disabled, detached or deleted.
 */
export function createDestinationsDomain(deps: { parseConfig: ConfigParser; box: SecretBox; emailSetUp: boolean }) {
  const cleanName = (name: string) => {
    const trimmed = name.trim();
    if (!trimmed || trimmed.length > 200) throw badInput('name must have 1 to 200 characters', { path: 'name' });
    return trimmed;
  };

  const applySecrets = (destination: Destination, secrets: Secrets) => {
    const fields = Object.keys(secrets).sort();
    destination.secretFields = fields;
    destination.secrets = fields.length ? deps.box.seal(secrets, secretContext(destination.tenantId, destination.id)) : null;
  };

  /** A second destination with the same name is a CONFLICT, not an internal error. */
  const flushNamed = async (em: EntityManager, name: string) => {
    try {
      await em.flush();
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException) throw conflict(`A destination named "${name}" already exists`, { path: 'name' });
      throw err;
    }
  };

  /** Refuses, at `path`, a destination of a kind the platform cannot deliver to (EMAIL without an SMTP server). */
  const checkKindAvailable = (kind: DestinationKind, path: string) => {
    if (kind === 'EMAIL' && !deps.emailSetUp) throw emailNotSetUp(path);
  };

  // By id, one statement for the ids of one turn: the gateway's `_entities` call, and `Delivery.destination` of a page.
  const byId = rowsById<Destination>(DestinationEntity);
  const get = async (em: EntityManager, id: string): Promise<Destination> => {
    const destination = await byId(em, id);
    if (!destination) throw notFound('Destination', id);
    return destination;
  };

  return {
    get,
    checkKindAvailable,

    async list(em: EntityManager, opts: { first: number; after?: string | null }): Promise<Page<Destination>> {
      return findPage(em, DestinationEntity, {}, opts, 'asc');
    },

    async create(em: EntityManager, actor: Principal, input: { name: string; kind: DestinationKind; config: unknown }) {
      const name = cleanName(input.name);
      checkKindAvailable(input.kind, 'kind');
      const { config, secrets } = deps.parseConfig(input.kind, input.config);
      const destination = em.create(DestinationEntity, {
        id: newId(), tenantId: actor.tenantId, name, kind: input.kind, config, secrets: null, secretFields: [], enabled: true,
      });
      applySecrets(destination, secrets);
      await flushNamed(em, name);
      return destination;
    },

    /** The kind is fixed at creation; a config given here replaces the old one, secrets merged as parseConfig says. */
    async update(em: EntityManager, input: { id: string; name?: string | null; config?: unknown; enabled?: boolean | null }) {
      const destination = await get(em, input.id);
      if (input.config != null) checkKindAvailable(destination.kind, 'config');
      // Only a disabled one is being enabled: a form that sends `enabled: true` back with a new name renames it.
      if (input.enabled === true && !destination.enabled) checkKindAvailable(destination.kind, 'enabled');
      if (input.name != null) destination.name = cleanName(input.name);
      if (input.enabled != null) destination.enabled = input.enabled;
      if (input.config !== undefined && input.config !== null) {
        const stored = destination.secrets ? deps.box.open(destination.secrets, secretContext(destination.tenantId, destination.id)) : {};
        const { config, secrets } = deps.parseConfig(destination.kind, input.config, stored);
        destination.config = config;
        applySecrets(destination, secrets);
      }
      await flushNamed(em, destination.name);
      return destination;
    },

    async remove(em: EntityManager, id: string): Promise<string> {
      const destination = await get(em, id);
      await em.remove(destination).flush();
      return destination.id;
    },
  };
}
