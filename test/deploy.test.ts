import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
// @ts-expect-error: a plain .mjs script, without type declarations
import { checkCompose, checkK8s, checkSchemas, createReport, readBase } from '../scripts/check-deploy.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = (env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ['scripts/check-deploy.mjs'], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env } });

const compose = () => parse(readFileSync(`${root}/docker-compose.yml`, 'utf8'), { merge: true });
const errorsOf = (check: (report: ReturnType<typeof createReport>) => void): string[] => {
  const report = createReport();
  check(report);
  return report.errors;
};

describe('deployment artifacts', () => {
  it('pass the static deployment check', () => {
    const result = run();
    expect(result.status, result.stdout + result.stderr).toBe(0);
  });

  it('pass it too where kubectl is missing, from the plain YAML', () => {
    const result = run({ KUBECTL: '/nonexistent/kubectl' });
    expect(result.stdout).toContain('plain YAML read');
    expect(result.status, result.stdout + result.stderr).toBe(0);
  });
});

describe('the deployment check', () => {
  it('reports a missing healthcheck, an unknown variable, a dangling depends_on and a wrong URL port', () => {
    const doc = compose();
    delete doc.services.delivery.healthcheck;
    doc.services.delivery.environment.DELIVERY_SECRET = 'typo';
    doc.services.workflows.depends_on.ghost = { condition: 'service_started' };
    doc.services.gateway.environment.FILES_URL = 'http://files:9999';
    const errors = errorsOf((r) => checkCompose(r, doc, { root }));
    expect(errors).toEqual(expect.arrayContaining([
      expect.stringMatching(/services\.delivery: has no healthcheck/),
      expect.stringMatching(/services\.delivery: sets DELIVERY_SECRET, which delivery does not read/),
      expect.stringMatching(/services\.workflows: depends_on ghost/),
      expect.stringMatching(/services\.gateway: FILES_URL uses port 9999, but files listens on 4004/),
    ]));
  });

  it('reports a required variable left out and a malformed secret key', () => {
    const doc = compose();
    delete doc.services.files.environment.FILE_URL_SECRET;
    doc.services.delivery.environment.DELIVERY_SECRET_KEY = 'c2hvcnQ=';
    expect(errorsOf((r) => checkCompose(r, doc, { root }))).toEqual(expect.arrayContaining([
      expect.stringMatching(/services\.files: does not set FILE_URL_SECRET, which files requires/),
      expect.stringMatching(/services\.delivery: DELIVERY_SECRET_KEY must be the base64 of 32 bytes/),
    ]));
  });

  it('reports a selector that misses its pods, a Service selecting nothing, a missing probe and a root pod', () => {
    const objects = readBase(`${root}/k8s/base`);
    const find = (kind: string, name: string) => objects.find((o: any) => o.kind === kind && o.metadata.name === name);
    find('Deployment', 'delivery').spec.selector.matchLabels = { 'app.kubernetes.io/name': 'deliveries' };
    find('Service', 'files').spec.selector = { 'app.kubernetes.io/name': 'file' };
    delete find('Deployment', 'gateway').spec.template.spec.containers[0].readinessProbe;
    find('Deployment', 'auth').spec.template.spec.securityContext.runAsNonRoot = false;
    find('Secret', 'rowline-db').stringData = { auth: 'x' };
    const errors = errorsOf((r) => checkK8s(r, objects, { root, label: 'base' }));
    expect(errors).toEqual(expect.arrayContaining([
      expect.stringMatching(/Deployment\/delivery: selector does not match the pod template labels/),
      expect.stringMatching(/Service\/files: selector matches no Deployment's pods/),
      expect.stringMatching(/Deployment\/gateway container gateway: readinessProbe must GET \/readyz/),
      expect.stringMatching(/Deployment\/auth: pod must set runAsNonRoot/),
      expect.stringMatching(/Deployment\/delivery container delivery: DATABASE_URL reads rowline-db\/delivery, which does not exist/),
    ]));
  });
});

/** `kubectl kustomize` of one folder; fails the test, with how to fix it, when no capable kubectl is installed. */
function render(dir: string): any[] {
  const kubectl = process.env.KUBECTL || 'kubectl';
  const version = spawnSync(kubectl, ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
  if (version.error || version.status !== 0) {
    throw new Error(`${kubectl} is not installed: install a kubectl whose kustomize is v4.1 or newer (Debian bookworm's kubernetes-client 1.20 embeds kustomize v2, too old for these manifests)`);
  }
  const r = spawnSync(kubectl, ['kustomize', dir], { encoding: 'utf8', maxBuffer: 32 << 20 });
  if (r.status !== 0) throw new Error(`kubectl kustomize ${dir} failed (kustomize ${JSON.parse(version.stdout).kustomizeVersion}): ${r.stderr}`);
  return parseAllDocuments(r.stdout).map((d) => d.toJS()).filter(Boolean);
}

describe('the Kubernetes overlays', () => {
  for (const overlay of ['dev', 'prod']) {
    it(`${overlay}: renders with kubectl kustomize and every object matches its Kubernetes schema`, () => {
      const objects = render(`${root}/k8s/overlays/${overlay}`);
      const report = createReport();
      checkSchemas(report, objects, overlay);
      expect(report.errors).toEqual([]);
      const kinds = new Set(objects.map((o) => o.kind));
      for (const kind of ['Deployment', 'Service', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'NetworkPolicy', 'Job', 'ConfigMap', 'Ingress']) expect(kinds, kind).toContain(kind);
      const names = (kind: string) => objects.filter((o) => o.kind === kind).map((o) => o.metadata.name).sort();
      expect(names('HorizontalPodAutoscaler')).toEqual(['delivery-worker', 'engine-worker']);
      expect(names('PodDisruptionBudget')).toEqual(names('Deployment'));
      expect(names('Job')).toEqual(['kafka-topics', 'migrate-auth', 'migrate-delivery', 'migrate-executions', 'migrate-files', 'migrate-workflows']);
      const gateway = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'gateway');
      const supergraph = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('rowline-supergraph-'));
      expect(gateway.spec.template.spec.volumes).toContainEqual({ name: 'supergraph', configMap: { name: supergraph.metadata.name } });
      expect(supergraph.data['supergraph.graphql']).toBe(readFileSync(`${root}/gateway/supergraph.graphql`, 'utf8'));
    });
  }

  it('declares every Kafka topic of the contract, with its dead-letter twin, partitions and retention', () => {
    const topics = render(`${root}/k8s/overlays/prod`).find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'rowline-kafka-topics');
    const rows = (topics.data.topics as string).trim().split('\n').map((l) => l.trim().split(/\s+/));
    expect(rows.map((r) => r[0]).sort()).toEqual(['deliveries.events', 'deliveries.events.dlq', 'executions.events', 'executions.events.dlq', 'executions.requested', 'executions.requested.dlq']);
    for (const [name, partitions, retention, replicas] of rows) {
      expect(Number(partitions), name).toBeGreaterThan(0);
      expect(Number(retention), name).toBeGreaterThanOrEqual(7 * 24 * 3600 * 1000);
      expect(Number(replicas), name).toBe(3);
    }
  });
});

describe('the production checks', () => {
  const base = () => readBase(`${root}/k8s/base`);
  const find = (objects: any[], kind: string, name: string) => objects.find((o: any) => o.kind === kind && o.metadata.name === name);

  it('report an object that does not match its Kubernetes schema', () => {
    const objects = base();
    find(objects, 'Deployment', 'auth').spec.template.spec.containers[0].ports[0].containerPort = 'http';
    find(objects, 'HorizontalPodAutoscaler', 'engine-worker').spec.maxReplicas = '12';
    const errors = errorsOf((r) => checkSchemas(r, objects, 'base'));
    expect(errors).toEqual(expect.arrayContaining([
      expect.stringMatching(/Deployment\/auth: does not match the Kubernetes schema: .*containerPort must be integer/),
      expect.stringMatching(/HorizontalPodAutoscaler\/engine-worker: does not match the Kubernetes schema: .*maxReplicas must be integer/),
    ]));
  });

  it('report a worker without an autoscaler, a Deployment without a disruption budget, and a subgraph open to anyone', () => {
    const objects = base().filter((o: any) => !(o.kind === 'HorizontalPodAutoscaler' && o.metadata.name === 'delivery-worker')
      && !(o.kind === 'PodDisruptionBudget' && o.metadata.name === 'files'));
    delete find(objects, 'NetworkPolicy', 'auth-from-callers').spec.ingress[0].from;
    find(objects, 'Job', 'migrate-auth').spec.template.spec.securityContext.runAsNonRoot = false;
    const errors = errorsOf((r) => checkK8s(r, objects, { root, label: 'base' }));
    expect(errors).toEqual(expect.arrayContaining([
      expect.stringMatching(/Deployment\/delivery-worker: is a worker without a HorizontalPodAutoscaler/),
      expect.stringMatching(/Deployment\/files: has no PodDisruptionBudget/),
      expect.stringMatching(/Deployment\/auth: NetworkPolicy auth-from-callers lets anyone in/),
      expect.stringMatching(/Job\/migrate-auth: pod must set runAsNonRoot/),
    ]));
  });

  it('report a namespace or a ConfigMap a Job reads that is not applied with the Jobs (docs/operations.md, step 3)', () => {
    const objects = base();
    delete find(objects, 'Namespace', 'rowline').metadata.labels;
    delete find(objects, 'ConfigMap', 'rowline-kafka-topics').metadata.labels;
    const errors = errorsOf((r) => checkK8s(r, objects, { root, label: 'base' }));
    expect(errors).toEqual(expect.arrayContaining([
      expect.stringMatching(/Namespace\/rowline: must be labelled app.kubernetes.io\/component: config/),
      expect.stringMatching(/Job\/kafka-topics: reads ConfigMap rowline-kafka-topics, which must be labelled/),
    ]));
  });
});
