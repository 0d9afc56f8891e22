import type { EntityManager, Principal } from '@rowline/kit';
import { AppError, badInput, decodeCursor, isUuid, notFound } from '@rowline/kit';
import type { LedgerStore } from '../store/ledger-store.js';
import { DeliveryAttemptEntity, DeliveryEntity, type Delivery, type DeliveryAttempt, type DeliveryStatus } from '../store/entities.js';

export type DeliveriesDomain = ReturnType<typeof createDeliveriesDomain>;

/** Reads of the ledger, and redelivery; the consumer and the workers write the rest (store/ledger-store.ts). */
export function createDeliveriesDomain(deps: { ledger: LedgerStore; onRedeliver?: () => void }) {
  async function get(em: EntityManager, id: string): Promise<Delivery> {
    const delivery = isUuid(id) ? await em.findOne(DeliveryEntity, { id }) : null;
    if (!delivery) throw notFound('Delivery', id);
    return delivery;
  }
  return {
    get,

    /** Sends a delivery that has finished (or is waiting for a retry) again now, under the same idempotency id. */
    async redeliver(em: EntityManager, actor: Principal, id: string): Promise<Delivery> {
      const delivery = await get(em, id);
      if (!(await deps.ledger.redeliver(actor.tenantId, delivery.id))) {
        throw new AppError('CONFLICT', `The delivery is ${delivery.status === 'PENDING' ? 'already waiting to be sent' : 'being sent right now'}`);
      }
      deps.onRedeliver?.();
      return em.refreshOrFail(delivery);
    },

    /** Newest first: a ledger is read from its latest entries. */
    async list(em: EntityManager, opts: { first: number; after?: string | null; executionId?: string | null; status?: DeliveryStatus | null }) {
      const afterId = decodeCursor(opts.after);
      if (opts.executionId && !isUuid(opts.executionId)) throw badInput('executionId is not a valid id', { path: 'executionId' });
      return em.find(DeliveryEntity, {
        ...(afterId ? { id: { $lt: afterId } } : {}),
        ...(opts.executionId ? { executionId: opts.executionId } : {}),
        ...(opts.status ? { status: opts.status } : {}),
      }, { orderBy: { id: 'desc' }, limit: opts.first + 1 });
    },

    forExecution(em: EntityManager, executionId: string): Promise<Delivery[]> {
      return em.find(DeliveryEntity, { executionId }, { orderBy: { id: 'asc' } });
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
