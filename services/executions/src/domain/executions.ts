import { AppError, badInput, decodeCursor, isUuid, newId, notFound, type EntityManager, type Principal } from '@rowline/kit';
import { ExecutionStatus, ExecutionPhase } from '@rowline/proto';
import { ExecutionEntity, ExecutionLogEntity, StepRunEntity, type Execution, type StepSpec } from '../store/entities.js';
import { appendOutbox } from '../events/outbox.js';
import { eventMessage, requestedMessage } from '../events/messages.js';
import type { Status } from './state-machine.js';

/** What the executions service needs to know of other services' data when a run starts. */
export type Lookups = {
  version(principal: Principal, id: string): Promise<{ id: string; workflowId: string; steps: StepSpec[] }>;
  file(principal: Principal, id: string): Promise<{ id: string; name: string; status: string; storageKey: string }>;
};

export type ExecutionFilter = { status?: Status | null; workflowId?: string | null; from?: Date | null; to?: Date | null };

export function createExecutionsDomain(deps: { lookups: Lookups; onOutbox: () => void }) {
  return {
    /**
     * Accepts a run. The same idempotency key returns the same run (a client retrying a timed-out request
     * never starts two). The run and its ExecutionRequested event are written in one transaction.
     */
    async start(em: EntityManager, actor: Principal, input: { workflowVersionId: string; fileId: string; idempotencyKey: string }) {
      const key = input.idempotencyKey.trim();
      if (!key || key.length > 200) throw badInput('idempotencyKey must have 1 to 200 characters', { field: 'idempotencyKey' });
      const existing = await em.findOne(ExecutionEntity, { idempotencyKey: key });
      if (existing) return sameRequest(existing, input);
      if (!isUuid(input.workflowVersionId)) throw notFound('Workflow version', input.workflowVersionId);
      if (!isUuid(input.fileId)) throw notFound('File', input.fileId);
      const [version, file] = await Promise.all([
        deps.lookups.version(actor, input.workflowVersionId),
        deps.lookups.file(actor, input.fileId),
      ]);
      if (file.status !== 'READY') {
        throw badInput(`File ${file.id} cannot be used as input: it is ${file.status}`, { field: 'fileId', fileStatus: file.status });
      }
      try {
        const run = await em.transactional(async (tx) => {
          const created = tx.create(ExecutionEntity, {
            id: newId(), tenantId: actor.tenantId, workflowId: version.workflowId, workflowVersionId: version.id,
            inputFileId: file.id, inputFileName: file.name, inputStorageKey: file.storageKey, steps: version.steps,
            status: 'PENDING', idempotencyKey: key, requestedBy: actor.subject, sequence: 1,
          });
          await tx.flush();
          await appendOutbox(tx, [
            eventMessage(created, 1, { case: 'statusChanged', value: { status: ExecutionStatus.PENDING, phase: ExecutionPhase.UNSPECIFIED } }),
            requestedMessage(created),
          ]);
          return created;
        });
        deps.onOutbox();
        return run;
      } catch (err) {
        // Two concurrent requests with one key: the loser answers with the winner's run.
        if ((err as { code?: string }).code === '23505') {
          const winner = await em.fork().findOne(ExecutionEntity, { idempotencyKey: key }, { refresh: true, filters: { tenant: { tenantId: actor.tenantId } } });
          if (winner) return sameRequest(winner, input);
        }
        throw err;
      }
    },

    async get(em: EntityManager, id: string): Promise<Execution> {
      const run = isUuid(id) ? await em.findOne(ExecutionEntity, { id }) : null;
      if (!run) throw notFound('Execution', id);
      return run;
    },

    async list(em: EntityManager, filter: ExecutionFilter, page: { first: number; after?: string | null }) {
      const afterId = decodeCursor(page.after);
      if (filter.workflowId && !isUuid(filter.workflowId)) return [];
      return em.find(ExecutionEntity, {
        ...(afterId ? { id: { $lt: afterId } } : {}),
        ...(filter.status ? { status: filter.status } : {}),
        ...(filter.workflowId ? { workflowId: filter.workflowId } : {}),
        ...(filter.from || filter.to ? { createdAt: { ...(filter.from ? { $gte: filter.from } : {}), ...(filter.to ? { $lt: filter.to } : {}) } } : {}),
      }, { orderBy: { id: 'desc' }, limit: page.first + 1 });
    },

    steps: (em: EntityManager, executionId: string) => em.find(StepRunEntity, { executionId }, { orderBy: { index: 'asc' } }),
    logs: (em: EntityManager, executionId: string, limit: number) =>
      em.find(ExecutionLogEntity, { executionId }, { orderBy: { at: 'asc' }, limit }),
  };
}
export type ExecutionsDomain = ReturnType<typeof createExecutionsDomain>;

function sameRequest(run: Execution, input: { workflowVersionId: string; fileId: string }): Execution {
  if (run.workflowVersionId !== input.workflowVersionId || run.inputFileId !== input.fileId) {
    throw new AppError('CONFLICT', 'This idempotencyKey was already used for a different run', { executionId: run.id });
  }
  return run;
}
