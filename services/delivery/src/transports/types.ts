import type { Readable } from 'node:stream';
import type { DestinationKind } from '../store/entities.js';
import type { Secrets } from '../domain/secret-box.js';

/** A destination as a transport sees it: clear config and opened secrets. */
export type OpenDestination = { id: string; tenantId: string; kind: DestinationKind; config: Record<string, unknown>; secrets: Secrets };

/** One delivery attempt's payload. `idempotencyKey` is the same on every attempt and every redelivery. */
export type Shipment = {
  deliveryId: string;
  idempotencyKey: string;
  executionId: string;
  workflowId: string;
  fileName: string;
  artifact: { id: string; name: string; size: number; sha256: string; contentType: string; downloadUrl: string | null };
  /** Opens the artifact's bytes; called at most once per attempt, only by transports that send the file. */
  open(): Promise<Readable>;
};

export type Transport = {
  send(destination: OpenDestination, shipment: Shipment): Promise<void>;
  /** Connects and authenticates (and for file servers, checks the directory) without delivering anything. */
  probe(destination: OpenDestination): Promise<void>;
};
