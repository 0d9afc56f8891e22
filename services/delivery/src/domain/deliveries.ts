import type { EntityManager, Page, Principal } from '@rowline/kit';
import { badInput, findPage, conflict, decodeCursor, isUuid, notFound, rowsById } from '@rowline/kit';
import type { LedgerStore } from '../store/ledger-store.js';
import { DeliveryAttemptEntity, DeliveryEntity, type Delivery, type DeliveryAttempt, type DeliveryStatus } from '../store/entities.js';

export type DeliveriesDomain = ReturnType<typeof createDeliveriesDomain>;

/** Reads of the ledger, and redelivery; the consumer and the workers write the rest (store/ledger-store.ts). */
export function createDeliveriesDomain(deps: { ledger: LedgerStore; onRedeliver?: () => void }) {
  // By id, one statement for the ids of one turn (the gateway's `_entities` call naming many deliveries).
  const byId = rowsById<Delivery>(DeliveryEntity);
  async function get(em: EntityManager, id: string): Promise<Delivery> {
    const delivery = await byId(em, id);
    if (!delivery) throw notFound('Delivery', id);
    return delivery;
  }
  return {
    get,

    /**
     * Sends a delivery that has finished (or is waiting for a retry) again now, under the same idempotency id.
     * Refused at once (CONFLICT, `reason`) when its destination was deleted or is disabled, since every
     * attempt would end DEAD with `CONFIG`.
     */
    async redeliver(em: EntityManager, actor: Principal, id: string): Promise<Delivery> {
      const delivery = await get(em, id);
      const outcome = await deps.ledger.redeliver(actor.tenantId, delivery.id);
      switch (outcome) {
        case 'redelivered': break;
        case 'not-found': throw notFound('Delivery', id);
        case 'destination-deleted':
          throw conflict('The delivery\'s destination was deleted, so it cannot be sent again', { reason: 'DESTINATION_DELETED', destinationId: delivery.destinationId });
        case 'destination-disabled':
          throw conflict('The delivery\'s destination is disabled: enable it (updateDestination) to send again', { reason: 'DESTINATION_DISABLED', destinationId: delivery.destinationId });
        case 'not-finished':
          throw conflict(`The delivery is ${delivery.status === 'PENDING' ? 'already waiting to be sent' : 'being sent right now'}`, { reason: 'NOT_FINISHED' });
      }
      deps.onRedeliver?.();
      return em.refreshOrFail(delivery);
    },

    /** Newest first: a ledger is read from its latest entries. */
    async list(em: EntityManager, opts: { first: number; after?: string | null; executionId?: string | null; status?: DeliveryStatus | null }): Promise<Page<Delivery>> {
      decodeCursor(opts.after); // a malformed cursor is refused first, as before
      if (opts.executionId && !isUuid(opts.executionId)) throw badInput('executionId is not a valid id', { argument: 'executionId' });
      const where = { ...(opts.executionId ? { executionId: opts.executionId } : {}), ...(opts.status ? { status: opts.status } : {}) };
      return findPage(em, DeliveryEntity, where, opts, 'desc');
    },

    /**
     * The deliveries of several runs in one query, oldest first, grouped by run id (lowercase, as Postgres writes a
     * uuid: the caller looks its ids up in that form). A run of another tenant, or without deliveries, has none.
     */
    async forExecutions(em: EntityManager, executionIds: readonly string[]): Promise<Map<string, Delivery[]>> {
      const rows = await em.find(DeliveryEntity, { executionId: { $in: [...executionIds] } }, { orderBy: { id: 'asc' } });
      const byExecution = new Map<string, Delivery[]>(executionIds.map((id) => [id.toLowerCase(), []]));
      for (const row of rows) byExecution.get(row.executionId)?.push(row);
      return byExecution;
    },

    /** Attempts of several deliveries in one query, oldest first, grouped by delivery id. */
    async attemptsOf(em: EntityManager, deliveryIds: readonly string[]): Promise<Map<string, DeliveryAttempt[]>> {
      const rows = await em.find(DeliveryAttemptEntity, { deliveryId: { $in: [...deliveryIds] } }, { orderBy: { at: 'asc', id: 'asc' } });
      const byDelivery = new Map<string, DeliveryAttempt[]>(deliveryIds.map((id) => [id, []]));
      for (const row of rows) byDelivery.get(row.deliveryId)?.push(row);
      return byDelivery;
    },
  };
}
