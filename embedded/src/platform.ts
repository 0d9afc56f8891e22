import { join } from 'node:path';
import { createInternalTokens, createLogger, createMetrics, createOrm, type Logger, type Orm, type OrmOptions } from '@rowline/kit';
import { createKafkaBus, createMemoryBus, withMetrics, type EventBus } from '@rowline/bus';
import { createStorageFromEnv, storageEnv, type StorageEnv } from '@rowline/storage';
import * as auth from '@rowline/auth';
import * as workflows from '@rowline/workflows';
import * as executions from '@rowline/executions';
import * as files from '@rowline/files';
import * as delivery from '@rowline/delivery';
import { createGateway, loadSupergraph, type PartnerOptions } from '@rowline/gateway';
import { reservePort } from './reserve-port.js';

export type PlatformOptions = {
  databaseUrl: string;
  /** Apache Kafka when set; otherwise the in-process bus (same topic contract). */
  kafkaBrokers?: string[];
  topicPrefix?: string;
  dataDir: string;
  host?: string;
  /** The gateway's port; 0 picks a free one. */
  port: number;
  /** The address clients use to reach the gateway (upload and download links point at it). */
  publicUrl?: string;
  secrets: { internalToken: string; fileUrl: string; deliveryKey: string; apiKey?: string };
  logLevel?: string;
  engineConcurrency?: number;
  maxUploadBytes?: number;
  leaseMs?: number;
  /** Where file bytes live (STORAGE_DRIVER, S3_*); a local directory under dataDir when unset. */
  storage?: StorageEnv;
  /** How long the gateway trusts a fetched JWKS (default 5 minutes; tests shorten it). */
  jwksMaxAgeMs?: number;
  /** The partner endpoint's key cache lifetime and cost budget (tests shorten them). */
  partner?: PartnerOptions;
  /**
   * Deliveries (the DELIVERY_* settings, `deliverySettings` of @rowline/delivery): local hosts destinations may
   * name (none by default), SMTP server, retries, workers, timeout; tests also an extra CA to trust.
   */
  delivery?: Partial<delivery.DeliverySettings> & { extraCa?: string };
  /** The workflows service's previews: the memory they may hold together (a pool, or bytes; PREVIEW_MEMORY_MB). */
  workflows?: { previewMemory?: Parameters<typeof workflows.createWorkflowsService>[0]['previewMemory'] };
  /**
   * Tuning of runs (tests shorten the sweeper, the retry backoff and so on); `runWorkers: false` starts no
   * engine worker (they run as separate processes); `faults` (tests only) is awaited at points of each run's
   * life, so a test can hold a run there.
   */
  executions?: executions.WorkerOptions & { tenantLimit?: number; sweepIntervalMs?: number; runWorkers?: boolean; faults?: executions.FaultPoint };
};

type Stop = { name: string; stop: () => Promise<void> };

/**
 * Every service, the gateway and the workers in one process, each with its own ORM bound to its own
 * schema and its own HTTP port, talking exactly as they do when distributed (HTTP through the gateway,
 * events through the bus). The embedded mode and the end-to-end tests both start the platform this way.
 */
export async function startPlatform(opts: PlatformOptions) {
  const host = opts.host ?? '127.0.0.1';
  const root = createLogger({ service: 'rowline', level: opts.logLevel ?? 'info' });
  const log = (service: string): Logger => root.child({ service });
  const tokens = createInternalTokens(opts.secrets.internalToken);
  const configuredStorage = createStorageFromEnv(opts.storage ?? storageEnv.parse({ STORAGE_DIR: join(opts.dataDir, 'storage') }));
  const storage = configuredStorage.storage;
  const stops: Stop[] = [{ name: 'storage', stop: async () => configuredStorage.close() }];
  const bus: EventBus = opts.kafkaBrokers?.length
    ? createKafkaBus({ brokers: opts.kafkaBrokers, clientId: 'rowline', topicPrefix: opts.topicPrefix, logger: log('bus') })
    : createMemoryBus({ logger: log('bus') });
  stops.push({ name: 'bus', stop: () => bus.close() });
  // What distributed mode counts in each process's registry, counted on the same service's /metrics here:
  // the executions service (its relay's publishes, the engine workers' consumption and runs), the delivery
  // service (its consumer, relay and workers) and the gateway (its subscriptions' consumption). Each gets
  // its own view of the one bus, counting on its registry, as each process there has its own bus.
  const metered = (service: string) => {
    const metrics = createMetrics(service);
    return { metrics, bus: withMetrics(bus, metrics.registry) };
  };
  const executionsMeter = metered('executions');
  const deliveryMeter = metered('delivery');
  const gatewayMeter = metered('gateway');

  try {
    const orm = async (service: string, schema: string, entities: OrmOptions['entities'], migrations: OrmOptions['migrations']): Promise<Orm> => {
      const o = await createOrm({ url: opts.databaseUrl, schema, entities, migrations, logger: log(service), pool: { max: 5 } });
      stops.push({ name: `${service}-orm`, stop: () => o.close() });
      return o;
    };
    const listen = async (name: string, server: { listen(p: number, h?: string): Promise<number>; close(): Promise<void> }) => {
      const port = await server.listen(0, host);
      stops.push({ name, stop: () => server.close() });
      return `http://${host}:${port}`;
    };
    // Upload links point at the gateway, so its port must be known before the files service starts. The port
    // stays held until the gateway listens: released at once, another listener on the machine took it in between.
    // A port given that is taken fails here, at once, rather than after every service has started.
    const reserved = await reservePort(host, opts.port);
    const gatewayPort = reserved.port;
    stops.push({ name: 'gateway-port', stop: () => reserved.release() });
    const publicUrl = opts.publicUrl ?? `http://localhost:${gatewayPort}`;

    const authSvc = await auth.createAuthService({
      logger: log('auth'), orm: await orm('auth', auth.SCHEMA, auth.entities, auth.migrations), tokens,
      issuer: 'rowline-auth', audience: 'rowline-api',
      apiKeySecret: opts.secrets.apiKey ?? auth.deriveApiKeySecret(opts.secrets.internalToken),
    });
    const filesSvc = await files.createFilesService({
      logger: log('files'), orm: await orm('files', files.SCHEMA, files.entities, files.migrations), tokens, storage,
      env: { PUBLIC_URL: publicUrl, FILE_URL_SECRET: opts.secrets.fileUrl, MAX_UPLOAD_BYTES: opts.maxUploadBytes ?? 200 * 1024 * 1024 },
    });
    // Previews read uploaded files, so the files service listens before the workflows service is built.
    const filesUrl = await listen('files', filesSvc.server);
    filesSvc.sweeper.start();
    stops.push({ name: 'files-sweeper', stop: () => filesSvc.sweeper.stop() });
    const workflowsSvc = await workflows.createWorkflowsService({
      logger: log('workflows'), orm: await orm('workflows', workflows.SCHEMA, workflows.entities, workflows.migrations), tokens,
      storage, filesUrl, previewMemory: opts.workflows?.previewMemory,
    });
    // attachDestination checks the workflow at the workflows service, so it listens before delivery is built.
    const workflowsUrl = await listen('workflows', workflowsSvc.server);
    const { workers: deliveryWorkers, hosts: deliveryHosts, ...deliveryOptions } = opts.delivery ?? {};
    const deliverySvc = await delivery.createDeliveryService({
      logger: log('delivery'), orm: await orm('delivery', delivery.SCHEMA, delivery.entities, delivery.migrations), tokens,
      secretKey: Buffer.from(opts.secrets.deliveryKey, 'base64'), workflowsUrl,
      ...deliveryOptions,
      metrics: deliveryMeter.metrics,
      runtime: { bus: deliveryMeter.bus, storage, filesUrl, workers: deliveryWorkers },
      hosts: deliveryHosts ?? { production: false, devAllowedHosts: [] },
    });
    const urls = {
      auth: await listen('auth', authSvc.server),
      workflows: workflowsUrl,
      files: filesUrl,
      delivery: await listen('delivery', deliverySvc.server),
      executions: '',
    };
    const executionsOrm = await orm('executions', executions.SCHEMA, executions.entities, executions.migrations);
    const executionsSvc = await executions.createExecutionsService({
      logger: log('executions'), orm: executionsOrm, tokens, bus: executionsMeter.bus, workflowsUrl: urls.workflows, filesUrl: urls.files,
      tenantLimit: opts.executions?.tenantLimit, metrics: executionsMeter.metrics,
    });
    urls.executions = await listen('executions', executionsSvc.server);
    executionsSvc.relay.start();
    stops.push({ name: 'executions-relay', stop: () => executionsSvc.relay.stop() });
    // After the executions service created `executions.events`, which the delivery consumer reads.
    await deliverySvc.runtime!.start();
    stops.push({ name: 'delivery-runtime', stop: () => deliverySvc.runtime!.stop() });

    if (opts.executions?.runWorkers !== false) {
      const workers = executions.createEngineWorkers({
        logger: log('engine-worker'), orm: executionsOrm, tokens, bus: executionsMeter.bus, storage, filesUrl: urls.files,
        concurrency: opts.engineConcurrency ?? 2, leaseMs: opts.leaseMs, registry: executionsMeter.metrics.registry, ...opts.executions,
      });
      await workers.start();
      stops.push({ name: 'engine-workers', stop: () => workers.stop() });
    }

    const gateway = await createGateway({
      logger: log('gateway'), tokens, supergraphSdl: await loadSupergraph(), urls,
      jwt: { issuer: 'rowline-auth', audience: 'rowline-api', jwksMaxAgeMs: opts.jwksMaxAgeMs }, exposeInternalErrors: false, partner: opts.partner,
      bus: gatewayMeter.bus, metrics: gatewayMeter.metrics,
    });
    await reserved.release();
    const port = await gateway.listen(gatewayPort, host);
    stops.push({ name: 'gateway', stop: () => gateway.close() });
    const url = `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}`;
    // Where each /metrics is: the gateway's, and each service's own (executions' counts the engine workers too).
    const metricsUrls: Record<string, string> = { gateway: `${url}/metrics` };
    for (const name of ['auth', 'workflows', 'files', 'executions', 'delivery'] as const) metricsUrls[name] = `${urls[name]}/metrics`;
    return {
      url, graphqlUrl: `${url}/graphql`, urls, metricsUrls, logger: root, bus,
      async stop() {
        for (const s of [...stops].reverse()) {
          try { await stopWithin(s, STOP_DEADLINE_MS); } catch (err) { root.warn({ err, component: s.name }, 'stop failed'); }
        }
      },
    };
  } catch (err) {
    for (const s of [...stops].reverse()) await s.stop().catch(() => {});
    throw err;
  }
}
export type Platform = Awaited<ReturnType<typeof startPlatform>>;

/**
 * A drain must end: a component that has not stopped by then is left behind with a warning, and the next one
 * stops. (Seen: after a PostgreSQL restart, closing the delivery service's pool can wait forever on a
 * connection the restart stranded; the process is exiting, so its sockets close anyway.)
 */
const STOP_DEADLINE_MS = 15_000;

async function stopWithin(s: Stop, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${s.name} did not stop within ${ms} ms`)), ms);
    timer.unref();
  });
  try { await Promise.race([s.stop(), late]); } finally { clearTimeout(timer); }
}
