#!/usr/bin/env node
// Static checks of the distributed-mode artifacts (Dockerfile, docker-compose.yml, k8s/), for machines
// without a Docker engine or a cluster. It catches what breaks a deployment quietly: a variable no process
// reads, a Service selecting no pod, a missing probe, a depends_on naming nothing.
//   node scripts/check-deploy.mjs            errors fail (exit 1); warnings are printed
//   node scripts/check-deploy.mjs --strict   warnings fail too (once every entry point exists)
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';

const COMMON_ENV = ['PORT', 'HOST', 'DATABASE_URL', 'INTERNAL_TOKEN_SECRET', 'KAFKA_BROKERS', 'LOG_LEVEL', 'NODE_ENV'];

/**
 * Every process of distributed mode. The name is its compose service and k8s Deployment; `env` is the
 * zod schema it loads (file#export), the truth for which variables it reads; `documented` is the agreed
 * list, used only while that schema does not exist. `later` ones are not deployed yet.
 */
export const DEPLOYABLES = {
  auth: { dir: 'services/auth', entry: 'main', env: 'src/env.ts#authEnv', documented: COMMON_ENV },
  workflows: { dir: 'services/workflows', entry: 'main', env: 'src/env.ts#workflowsEnv', documented: COMMON_ENV },
  executions: { dir: 'services/executions', entry: 'main', env: 'src/env.ts#executionsEnv', documented: [...COMMON_ENV, 'WORKFLOWS_URL', 'FILES_URL'] },
  'engine-worker': { dir: 'services/executions', entry: 'worker', env: 'src/env.ts#workerEnv', documented: [...COMMON_ENV, 'FILES_URL', 'STORAGE_DIR'] },
  files: { dir: 'services/files', entry: 'main', env: 'src/env.ts#filesEnv', documented: [...COMMON_ENV, 'PUBLIC_URL', 'FILE_URL_SECRET', 'STORAGE_DIR'] },
  delivery: { dir: 'services/delivery', entry: 'main', env: 'src/env.ts#deliveryEnv', documented: [...COMMON_ENV, 'DELIVERY_SECRET_KEY', 'WORKFLOWS_URL'] },
  'delivery-worker': { dir: 'services/delivery', entry: 'worker', env: 'src/env.ts#deliveryEnv', documented: [...COMMON_ENV, 'DELIVERY_SECRET_KEY', 'FILES_URL', 'WORKFLOWS_URL', 'STORAGE_DIR'] },
  gateway: {
    dir: 'gateway', entry: 'main', env: 'src/env.ts#gatewayEnv',
    documented: ['PORT', 'HOST', 'LOG_LEVEL', 'NODE_ENV', 'INTERNAL_TOKEN_SECRET', 'AUTH_URL', 'WORKFLOWS_URL', 'EXECUTIONS_URL', 'FILES_URL', 'DELIVERY_URL', 'SUPERGRAPH_PATH'],
  },
};
const isWorker = (d) => d.entry === 'worker';
/** The Postgres role (and schema) a process uses: its service's, workers included. */
const roleOf = (d) => d.dir.split('/').pop();

/** Values whose shape is known: a wrong dev default fails here instead of at container start. */
const VALUE_RULES = {
  INTERNAL_TOKEN_SECRET: (v) => v.length >= 32 || 'must be at least 32 characters',
  DELIVERY_SECRET_KEY: (v) => (Buffer.from(v, 'base64').length === 32 && Buffer.from(v, 'base64').toString('base64') === v) || 'must be the base64 of 32 bytes',
  PORT: (v) => /^\d{1,5}$/.test(v) || 'must be a port number',
  HOST: (v) => v === '0.0.0.0' || 'must be 0.0.0.0 in a container, or nothing outside it can connect',
};

// ---------------------------------------------------------------------------------------------- env.ts

/** Variable names a zod object declares, and whether each is required (no default, not optional). */
export function envKeysOf(source) {
  const keys = new Map();
  for (const m of source.matchAll(/^\s*([A-Z][A-Z0-9_]*)\s*:\s*(.*)$/gm)) keys.set(m[1], !/\.(default|optional|catch)\(/.test(m[2]));
  return keys;
}

/** The source of `export const <name> = ...`, up to the next top-level export. */
function exportedBlock(source, name) {
  const start = source.search(new RegExp(`^export const ${name}\\b`, 'm'));
  if (start < 0) return null;
  const next = source.slice(start + 1).search(/^export /m);
  return next < 0 ? source.slice(start) : source.slice(start, start + 1 + next);
}

/**
 * What a deployable reads: the keys of its env schema, plus kit's baseEnv (less what it `.omit`s) when the
 * schema extends it. Read from source with patterns, not by running it: this runs before any build.
 */
export function knownEnv(root, deployable) {
  const [file, name] = deployable.env.split('#');
  const path = join(root, deployable.dir, file);
  const block = existsSync(path) ? exportedBlock(readFileSync(path, 'utf8'), name) : null;
  if (!block) return { names: new Set(deployable.documented), required: new Set(), from: 'the agreed list (no env schema yet)' };
  const keys = new Map();
  if (/=\s*baseEnv\b/.test(block)) {
    const omitted = new Set([...(block.match(/\.omit\(\{([^}]*)\}/)?.[1] ?? '').matchAll(/([A-Z][A-Z0-9_]*)\s*:/g)].map((m) => m[1]));
    for (const [k, r] of envKeysOf(readFileSync(join(root, 'packages/kit/src/env.ts'), 'utf8'))) if (!omitted.has(k)) keys.set(k, r);
  }
  // Schemas that spread @rowline/storage's settings (`...storageEnv.shape`) read its variables too.
  if (/\.\.\.storageEnv\.shape/.test(block)) {
    const storage = exportedBlock(readFileSync(join(root, 'packages/storage/src/config.ts'), 'utf8'), 'storageEnv') ?? '';
    for (const [k, r] of envKeysOf(storage)) keys.set(k, r);
  }
  for (const [k, r] of envKeysOf(block)) keys.set(k, r);
  return { names: new Set(keys.keys()), required: new Set([...keys].filter(([, r]) => r).map(([k]) => k)), from: `${deployable.dir}/${file}#${name}` };
}

/** `shared` names come from a ConfigMap or Secret several processes share: a process may ignore some. */
function checkEnv(report, where, name, env, known, shared = new Set()) {
  for (const key of Object.keys(env)) {
    if (shared.has(key)) continue;
    if (!known.names.has(key)) report.error(where, `sets ${key}, which ${name} does not read (per ${known.from})`);
  }
  for (const key of known.required) if (!(key in env)) report.error(where, `does not set ${key}, which ${name} requires`);
  for (const [key, value] of Object.entries(env)) {
    const verdict = value === undefined ? true : VALUE_RULES[key]?.(String(value));
    if (typeof verdict === 'string') report.error(where, `${key} ${verdict}`);
  }
}

// ------------------------------------------------------------------------------------------- compose

/** Compose's `${VAR:-default}` as a fresh checkout sees it: the file's own defaults. */
const interpolate = (value) => String(value).replace(/\$\{([A-Z0-9_]+)(?::?-([^}]*))?\}/g, (_, _name, def) => def ?? '').replaceAll('$$', '$');

const envMap = (environment) => Array.isArray(environment)
  ? Object.fromEntries(environment.map((e) => { const [k, ...v] = String(e).split('='); return [k, v.length ? interpolate(v.join('=')) : undefined]; }))
  : Object.fromEntries(Object.entries(environment ?? {}).map(([k, v]) => [k, v == null ? undefined : interpolate(v)]));

export function checkCompose(report, compose, { root }) {
  const services = compose?.services ?? {};
  const envOf = Object.fromEntries(Object.entries(services).map(([n, s]) => [n, envMap(s.environment)]));
  for (const [name, svc] of Object.entries(services)) {
    const where = `docker-compose.yml services.${name}`;
    const oneShot = svc.restart === 'no';
    if (!svc.image && !svc.build) report.error(where, 'has neither image nor build');
    if (!svc.healthcheck?.test && !oneShot) report.error(where, 'has no healthcheck (only one-shot services with restart: "no" may skip it)');
    const deps = Array.isArray(svc.depends_on) ? Object.fromEntries(svc.depends_on.map((d) => [d, {}])) : (svc.depends_on ?? {});
    for (const [target, { condition } = {}] of Object.entries(deps)) {
      const t = services[target];
      if (!t) { report.error(where, `depends_on ${target}, which is not a service`); continue; }
      if (condition === 'service_healthy' && !t.healthcheck?.test) report.error(where, `waits for ${target} to be healthy, but it has no healthcheck`);
      if (condition === 'service_completed_successfully' && t.restart !== 'no') report.error(where, `waits for ${target} to complete, but it is not one-shot`);
    }
    const deployable = DEPLOYABLES[name];
    if (!deployable) continue;
    const serviceArg = svc.build?.args?.SERVICE;
    if (serviceArg !== deployable.dir) report.error(where, `builds SERVICE=${serviceArg}, expected ${deployable.dir}`);
    const command = [svc.command ?? []].flat().join(' ');
    if (isWorker(deployable) !== command.includes('dist/worker.js')) report.error(where, `must run dist/${deployable.entry}.js`);
    checkEnv(report, where, name, envOf[name], knownEnv(root, deployable));
    checkComposeUrls(report, where, envOf[name], services, envOf);
    const role = envOf[name].DATABASE_URL && new URL(envOf[name].DATABASE_URL).username;
    if (role && role !== roleOf(deployable)) report.error(where, `DATABASE_URL logs in as ${role}; each service has its own role, ${roleOf(deployable)}`);
  }
  for (const [name, d] of Object.entries(DEPLOYABLES)) if (!d.later && !services[name]) report.error('docker-compose.yml', `has no service ${name}`);
}

/** Service URLs must name a compose service and the PORT that service listens on. */
function checkComposeUrls(report, where, env, services, envOf) {
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined || key === 'PUBLIC_URL') continue;
    if (key === 'KAFKA_BROKERS') {
      for (const broker of value.split(',')) if (!services[broker.split(':')[0]]) report.error(where, `KAFKA_BROKERS names ${broker}, not a service`);
    } else if (key.endsWith('_URL')) {
      let url;
      try { url = new URL(value); } catch { report.error(where, `${key} is not a URL`); continue; }
      if (!services[url.hostname]) { report.error(where, `${key} points at ${url.hostname}, not a service`); continue; }
      const port = envOf[url.hostname]?.PORT;
      if (key !== 'DATABASE_URL' && port !== undefined && url.port !== String(port)) report.error(where, `${key} uses port ${url.port}, but ${url.hostname} listens on ${port}`);
    }
  }
}

// ---------------------------------------------------------------------------------------- Dockerfile

export function workspaceDirs(root) {
  const { workspaces = [] } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  return workspaces.flatMap((w) => (w.endsWith('/*')
    ? readdirSync(join(root, w.slice(0, -2))).map((d) => `${w.slice(0, -2)}/${d}`)
    : [w])).filter((d) => existsSync(join(root, d, 'package.json'))).sort();
}

export function checkDockerfile(report, text, { root, dockerignore }) {
  const where = 'Dockerfile';
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const args = Object.fromEntries(lines.filter((l) => /^ARG \w+=/.test(l)).map((l) => l.slice(4).split('=')));
  const stages = [];
  for (const line of lines) {
    const from = line.match(/^FROM (?:--\S+ )*(\S+)(?: AS (\S+))?/i);
    if (from) stages.push({ from: from[1].replace(/\$\{(\w+)\}/, (_, a) => args[a] ?? ''), name: from[2], lines: [] });
    else stages.at(-1)?.lines.push(line);
  }
  if (stages.length < 2) return report.error(where, 'must have a build stage and a runtime stage');
  const [build, runtime] = [stages[0], stages.at(-1)];
  for (const s of stages) if (s.from !== 'node:24-bookworm-slim' && !stages.some((o) => o.name === s.from)) report.error(where, `stage FROM ${s.from}: expected node:24-bookworm-slim`);
  const runs = build.lines.filter((l) => l.startsWith('RUN ')).join('\n');
  for (const step of ['npm ci', 'tsc -b', 'npm prune --omit=dev']) if (!runs.includes(step)) report.error(where, `build stage does not run ${step}`);
  const copied = new Set(build.lines.flatMap((l) => l.match(/^COPY (\S+)\/package\.json /)?.[1] ?? []));
  for (const dir of workspaceDirs(root)) if (!copied.has(dir)) report.error(where, `does not COPY ${dir}/package.json before npm ci (npm ci needs every workspace manifest)`);
  for (const dir of copied) if (!existsSync(join(root, dir, 'package.json'))) report.error(where, `copies ${dir}/package.json, which does not exist`);
  const user = runtime.lines.filter((l) => l.startsWith('USER ')).at(-1)?.split(/\s+/)[1];
  if (!user || ['root', '0'].includes(user.split(':')[0])) report.error(where, 'runtime stage must end as a non-root USER');
  if (!runtime.lines.some((l) => l.startsWith('ARG SERVICE'))) report.error(where, 'runtime stage must take ARG SERVICE');
  const health = runtime.lines.find((l) => l.startsWith('HEALTHCHECK '));
  const script = health?.match(/\/app\/(\S+\.mjs)/)?.[1];
  if (!health) report.error(where, 'runtime stage has no HEALTHCHECK');
  else if (script && !existsSync(join(root, script))) report.error(where, `HEALTHCHECK runs ${script}, which does not exist`);
  else if (script && readFileSync(join(root, script), 'utf8').indexOf('/healthz') < 0) report.error(where, `HEALTHCHECK script ${script} does not call /healthz`);
  const cmd = runtime.lines.find((l) => l.startsWith('CMD '));
  if (!cmd?.includes('"--enable-source-maps"') || !cmd.startsWith('CMD [')) report.error(where, 'CMD must be exec form: ["node", "--enable-source-maps", ...]');
  const ignored = dockerignore.split('\n').map((l) => l.trim());
  for (const needed of ['**/node_modules', '**/dist']) if (!ignored.includes(needed)) report.error('.dockerignore', `should exclude ${needed}`);
  if (script && ignored.some((l) => script.startsWith(l.replace(/\/$/, '') + '/'))) report.error('.dockerignore', `excludes ${script}, which HEALTHCHECK needs`);
}

/** What `npx tsc -b` in the image builds, and whether each deployable has its entry source. */
function checkSources(report, root) {
  const tsconfig = join(root, 'tsconfig.json');
  if (!existsSync(tsconfig)) report.warn('tsconfig.json', 'missing: `npx tsc -b` in the Dockerfile needs a root solution config referencing every deployable');
  else {
    const refs = (JSON.parse(readFileSync(tsconfig, 'utf8').replace(/^\s*\/\/.*$/gm, '')).references ?? []).map((r) => r.path.replace(/^\.\//, '').replace(/\/$/, ''));
    for (const d of new Set(Object.values(DEPLOYABLES).map((x) => x.dir))) if (!refs.includes(d)) report.warn('tsconfig.json', `does not reference ${d}`);
  }
  for (const [name, d] of Object.entries(DEPLOYABLES)) {
    const entry = `${d.dir}/src/${d.entry}.ts`;
    if (existsSync(join(root, entry))) continue;
    if (d.later) report.info(`${entry} (${name}) is not written yet; its Deployment cannot start until it is`);
    else report.warn(entry, `missing: ${name} cannot start until it exists`);
  }
}

// ------------------------------------------------------------------------------------------ k8s

const API_VERSIONS = {
  Namespace: 'v1', ConfigMap: 'v1', Secret: 'v1', Service: 'v1', PersistentVolumeClaim: 'v1', Deployment: 'apps/v1',
  HorizontalPodAutoscaler: 'autoscaling/v2', PodDisruptionBudget: 'policy/v1', NetworkPolicy: 'networking.k8s.io/v1',
  Ingress: 'networking.k8s.io/v1', Job: 'batch/v1',
};

/**
 * The Kubernetes OpenAPI schema of each kind we render, from the kubernetes-models package (generated from
 * the Kubernetes API's own OpenAPI document): types, required fields, enums and formats, without a cluster.
 * Loaded eagerly so that a missing package fails the check instead of skipping it.
 */
const MODELS = new Map(await Promise.all(Object.entries(API_VERSIONS).map(async ([kind, apiVersion]) => {
  const module = await import(`kubernetes-models/${apiVersion}/${kind}`).catch((err) => {
    throw new Error(`kubernetes-models cannot load ${apiVersion} ${kind} (npm ci installs it): ${err.message}`);
  });
  return [kind, module[kind]];
})));

/** Every object against its kind's schema. */
export function checkSchemas(report, objects, label) {
  for (const o of objects) {
    const Model = MODELS.get(o?.kind);
    if (!Model) continue;
    try {
      new Model(o).validate();
    } catch (err) {
      report.error(`${label} ${o.kind}/${o.metadata?.name}`, `does not match the Kubernetes schema: ${err.message}`);
    }
  }
}
const subset = (small = {}, big = {}) => Object.keys(small).length > 0 && Object.entries(small).every(([k, v]) => big[k] === v);

/**
 * Checks rendered objects. `external` holds Secrets an overlay expects to exist out of band (name ->
 * keys), taken from the base's placeholders.
 */
export function checkK8s(report, objects, { root, label, external = new Map(), namespace }) {
  const by = (kind) => objects.filter((o) => o?.kind === kind);
  const find = (kind, name) => by(kind).find((o) => o.metadata?.name === name);
  const secretKeys = (name) => {
    const s = find('Secret', name);
    return s ? new Set(Object.keys({ ...s.data, ...s.stringData })) : external.get(name);
  };
  const services = by('Service');
  for (const o of objects) {
    const where = `${label} ${o.kind}/${o.metadata?.name}`;
    if (API_VERSIONS[o.kind] !== o.apiVersion) report.error(where, `unexpected kind/apiVersion ${o.apiVersion}`);
    if (namespace && o.kind !== 'Namespace' && o.metadata?.namespace !== namespace) report.error(where, `is not in namespace ${namespace}`);
  }
  checkSchemas(report, objects, label);
  const deployments = by('Deployment');
  checkOperations(report, objects, { label, by });
  for (const dep of deployments) {
    const name = dep.metadata.name;
    const where = `${label} Deployment/${name}`;
    const pod = dep.spec?.template?.spec ?? {};
    const podLabels = dep.spec?.template?.metadata?.labels;
    if (!subset(dep.spec?.selector?.matchLabels, podLabels)) report.error(where, 'selector does not match the pod template labels');
    if (pod.securityContext?.runAsNonRoot !== true || pod.securityContext?.runAsUser === 0) report.error(where, 'pod must set runAsNonRoot: true (and not run as uid 0)');
    const volumes = new Map((pod.volumes ?? []).map((v) => [v.name, v]));
    for (const v of volumes.values()) {
      if (v.persistentVolumeClaim && !find('PersistentVolumeClaim', v.persistentVolumeClaim.claimName)) report.error(where, `volume ${v.name}: no PVC ${v.persistentVolumeClaim.claimName}`);
      if (v.secret && !secretKeys(v.secret.secretName)) report.error(where, `volume ${v.name}: no Secret ${v.secret.secretName}`);
    }
    const deployable = DEPLOYABLES[name];
    if (!deployable) report.error(where, 'is not a known deployable (add it to DEPLOYABLES in scripts/check-deploy.mjs)');
    for (const c of pod.containers ?? []) {
      const cw = `${where} container ${c.name}`;
      const ports = c.ports ?? [];
      const portOk = (p) => ports.some((x) => x.name === p || x.containerPort === p);
      for (const [probe, path] of [['readinessProbe', '/readyz'], ['livenessProbe', '/healthz']]) {
        const get = c[probe]?.httpGet;
        if (get?.path !== path) report.error(cw, `${probe} must GET ${path}`);
        else if (!portOk(get.port)) report.error(cw, `${probe} port ${get.port} is not a container port`);
      }
      if (!c.image) report.error(cw, 'has no image');
      if (!c.resources?.requests?.cpu || !c.resources?.requests?.memory || !c.resources?.limits?.memory) report.error(cw, 'needs cpu and memory requests and a memory limit');
      const sc = c.securityContext ?? {};
      if (sc.readOnlyRootFilesystem !== true || sc.allowPrivilegeEscalation !== false || !sc.capabilities?.drop?.includes('ALL')) {
        report.error(cw, 'securityContext must be readOnlyRootFilesystem, no privilege escalation, drop ALL capabilities');
      }
      for (const m of c.volumeMounts ?? []) if (!volumes.has(m.name)) report.error(cw, `mounts ${m.name}, which is not a volume`);
      if (!deployable) continue;
      if (isWorker(deployable) !== (c.command ?? []).includes(`dist/worker.js`)) report.error(cw, `must run dist/${deployable.entry}.js`);
      const { env, shared } = containerEnv(report, cw, c, { find, secretKeys, deployable });
      checkEnv(report, cw, name, env, knownEnv(root, deployable), shared);
      checkK8sUrls(report, cw, c.env ?? [], services);
    }
  }
  for (const svc of services) {
    const where = `${label} Service/${svc.metadata.name}`;
    const target = deployments.find((d) => subset(svc.spec?.selector, d.spec?.template?.metadata?.labels));
    if (!target) { report.error(where, 'selector matches no Deployment\'s pods'); continue; }
    const ports = target.spec.template.spec.containers.flatMap((c) => c.ports ?? []);
    for (const p of svc.spec.ports ?? []) {
      const t = p.targetPort ?? p.port;
      if (!ports.some((x) => x.name === t || x.containerPort === t)) report.error(where, `targetPort ${t} is not a port of ${target.metadata.name}`);
    }
  }
  for (const [name, d] of Object.entries(DEPLOYABLES)) {
    if (!d.later && !find('Deployment', name)) report.error(label, `has no Deployment ${name}`);
    if (!d.later && !isWorker(d) && !find('Service', name)) report.error(label, `has no Service ${name}`);
  }
}

const selects = (selector, labels) => subset(selector?.matchLabels, labels);

/**
 * What production needs around the Deployments: a disruption budget for each, an autoscaler for each
 * worker, subgraphs reachable only from named callers, Jobs as locked down as the Deployments.
 */
function checkOperations(report, objects, { label, by }) {
  const pdbs = by('PodDisruptionBudget');
  const hpas = by('HorizontalPodAutoscaler');
  const policies = by('NetworkPolicy');
  if (!policies.some((p) => Object.keys(p.spec?.podSelector ?? {}).length === 0 && p.spec?.policyTypes?.includes('Ingress') && !p.spec?.ingress?.length)) {
    report.error(label, 'has no default-deny ingress NetworkPolicy');
  }
  for (const dep of by('Deployment')) {
    const where = `${label} Deployment/${dep.metadata.name}`;
    const labels = dep.spec?.template?.metadata?.labels ?? {};
    const component = labels['app.kubernetes.io/component'];
    if (!pdbs.some((p) => selects(p.spec?.selector, labels))) report.error(where, 'has no PodDisruptionBudget');
    if (component === 'worker') {
      const hpa = hpas.find((h) => h.spec?.scaleTargetRef?.kind === 'Deployment' && h.spec.scaleTargetRef.name === dep.metadata.name);
      if (!hpa) report.error(where, 'is a worker without a HorizontalPodAutoscaler');
      else if (!hpa.spec.metrics?.some((m) => m.type === 'Resource' && m.resource?.name === 'cpu')) report.error(where, 'autoscaler has no CPU metric to fall back on');
      if (dep.spec?.replicas !== undefined) report.error(where, 'sets replicas, which its autoscaler owns');
    }
    if (component === 'subgraph') {
      const mine = policies.filter((p) => Object.keys(p.spec?.podSelector ?? {}).length > 0 && selects(p.spec.podSelector, labels));
      if (!mine.length) report.error(where, 'has no NetworkPolicy naming who may call it');
      for (const p of mine) if ((p.spec.ingress ?? []).some((r) => !r.from?.length)) report.error(where, `NetworkPolicy ${p.metadata.name} lets anyone in`);
    }
  }
  // docs/operations.md applies these first, on their own: what a Job reads must come with them.
  const FIRST = new Set(['config', 'migrations']);
  const first = (o) => FIRST.has(o?.metadata?.labels?.['app.kubernetes.io/component']);
  for (const ns of by('Namespace')) if (!first(ns)) report.error(`${label} Namespace/${ns.metadata.name}`, 'must be labelled app.kubernetes.io/component: config, to be applied with the Jobs');
  for (const job of by('Job')) {
    const where = `${label} Job/${job.metadata.name}`;
    const pod = job.spec?.template?.spec ?? {};
    const configMaps = [
      ...(pod.volumes ?? []).map((v) => v.configMap?.name),
      ...(pod.containers ?? []).flatMap((c) => [...(c.envFrom ?? []).map((f) => f.configMapRef?.name), ...(c.env ?? []).map((e) => e.valueFrom?.configMapKeyRef?.name)]),
    ].filter(Boolean);
    if (first(job)) {
      for (const name of new Set(configMaps)) {
        if (!first(objects.find((o) => o?.kind === 'ConfigMap' && o.metadata?.name === name))) {
          report.error(where, `reads ConfigMap ${name}, which must be labelled app.kubernetes.io/component: config to be applied with the Jobs`);
        }
      }
    }
    if (pod.securityContext?.runAsNonRoot !== true) report.error(where, 'pod must set runAsNonRoot: true');
    for (const c of pod.containers ?? []) {
      const sc = c.securityContext ?? {};
      if (sc.readOnlyRootFilesystem !== true || sc.allowPrivilegeEscalation !== false) report.error(`${where} container ${c.name}`, 'securityContext must be readOnlyRootFilesystem without privilege escalation');
      if (!c.resources?.requests?.memory || !c.resources?.limits?.memory) report.error(`${where} container ${c.name}`, 'needs a memory request and limit');
    }
  }
}

/** A container's environment as the process will see it, resolving envFrom and key references. */
function containerEnv(report, where, c, { find, secretKeys, deployable }) {
  const env = {};
  const shared = new Set();
  for (const from of c.envFrom ?? []) {
    if (from.configMapRef) {
      const cm = find('ConfigMap', from.configMapRef.name);
      if (!cm) report.error(where, `envFrom ConfigMap ${from.configMapRef.name} does not exist`);
      Object.assign(env, cm?.data ?? {});
      for (const k of Object.keys(cm?.data ?? {})) shared.add(k);
    }
    if (from.secretRef) {
      const keys = secretKeys(from.secretRef.name);
      if (!keys) report.error(where, `envFrom Secret ${from.secretRef.name} does not exist`);
      for (const k of keys ?? []) { env[k] = undefined; shared.add(k); }
    }
  }
  for (const e of c.env ?? []) {
    const ref = e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef;
    if (ref) {
      const keys = e.valueFrom.secretKeyRef ? secretKeys(ref.name) : new Set(Object.keys(find('ConfigMap', ref.name)?.data ?? {}));
      if (!keys?.has(ref.key)) report.error(where, `${e.name} reads ${ref.name}/${ref.key}, which does not exist`);
      if (e.name === 'DATABASE_URL' && deployable && ref.key !== roleOf(deployable)) report.error(where, `DATABASE_URL reads ${ref.name}/${ref.key}; each service has its own role, ${roleOf(deployable)}`);
    }
    env[e.name] = e.value;
    shared.delete(e.name);
  }
  return { env, shared };
}

function checkK8sUrls(report, where, env, services) {
  for (const { name, value } of env) {
    if (!value || !name.endsWith('_URL') || name === 'PUBLIC_URL') continue;
    const url = new URL(value);
    const svc = services.find((s) => s.metadata.name === url.hostname.split('.')[0]);
    if (!svc) report.error(where, `${name} points at ${url.hostname}, not a Service`);
    else if (!(svc.spec.ports ?? []).some((p) => String(p.port) === url.port)) report.error(where, `${name} uses port ${url.port}, not a port of Service ${svc.metadata.name}`);
  }
}

// --------------------------------------------------------------------------------------- rendering

/**
 * `kubectl kustomize`, when a kubectl with kustomize >= 4.1 (for `labels`) is installed; else null.
 * Debian's kubernetes-client is 1.20 with kustomize 2, too old. KUBECTL names another binary.
 */
function kustomizer() {
  const kubectl = process.env.KUBECTL || 'kubectl';
  const v = spawnSync(kubectl, ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
  if (v.error || v.status !== 0) return { render: null, why: `${kubectl} is not installed` };
  const kv = JSON.parse(v.stdout).kustomizeVersion ?? 'v0';
  const [major, minor] = kv.replace(/^v/, '').split('.').map(Number);
  if (major < 4 || (major === 4 && minor < 1)) return { render: null, why: `kubectl's kustomize ${kv} is older than v4.1` };
  return {
    why: `kubectl kustomize (kustomize ${kv})`,
    render(dir) {
      const r = spawnSync(kubectl, ['kustomize', dir], { encoding: 'utf8', maxBuffer: 32 << 20 });
      if (r.status !== 0) throw new Error(r.stderr || r.error?.message);
      return parseAllDocuments(r.stdout).map((d) => d.toJS()).filter(Boolean);
    },
  };
}

/** Without kustomize: the base's listed files as written, with its namespace and labels applied. */
export function readBase(dir) {
  const k = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8'));
  const labels = Object.assign({}, ...(k.labels ?? []).map((l) => l.pairs));
  return (k.resources ?? []).flatMap((file) => parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((d) => d.toJS()).filter(Boolean))
    .map((o) => ({ ...o, metadata: { ...o.metadata, labels: { ...o.metadata?.labels, ...labels }, ...(o.kind !== 'Namespace' && k.namespace ? { namespace: k.namespace } : {}) } }));
}

/** Without kustomize, an overlay is checked for what it refers to: files, images and Deployments. */
function checkOverlayRefs(report, dir, label, base) {
  const k = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8'));
  for (const r of k.resources ?? []) if (!existsSync(join(dir, r))) report.error(label, `resource ${r} does not exist`);
  for (const p of k.patches ?? []) if (p.path && !existsSync(join(dir, p.path))) report.error(label, `patch ${p.path} does not exist`);
  const images = new Set(base.flatMap((o) => o.spec?.template?.spec?.containers?.map((c) => c.image) ?? []));
  for (const i of k.images ?? []) if (!images.has(i.name)) report.error(label, `sets image ${i.name}, which no container uses`);
  for (const r of k.replicas ?? []) if (!base.some((o) => o.kind === 'Deployment' && o.metadata.name === r.name)) report.error(label, `scales ${r.name}, which is not a Deployment`);
}

function checkKubernetes(report, root) {
  const dir = join(root, 'k8s');
  const overlays = readdirSync(join(dir, 'overlays')).sort();
  const { render, why } = kustomizer();
  report.info(`k8s rendered with ${render ? why : `a plain YAML read (${why}); overlays checked for references only`}`);
  const base = render ? render(join(dir, 'base')) : readBase(join(dir, 'base'));
  const namespace = base.find((o) => o.kind === 'Namespace')?.metadata.name;
  checkK8s(report, base, { root, label: 'k8s/base', namespace });
  const external = new Map(base.filter((o) => o.kind === 'Secret').map((s) => [s.metadata.name, new Set(Object.keys({ ...s.data, ...s.stringData }))]));
  for (const overlay of overlays) {
    const label = `k8s/overlays/${overlay}`;
    if (render) checkK8s(report, render(join(dir, 'overlays', overlay)), { root, label, external, namespace });
    else checkOverlayRefs(report, join(dir, 'overlays', overlay), label, base);
  }
}

// -------------------------------------------------------------------------------------------- main

export function createReport() {
  const errors = [];
  const warnings = [];
  const notes = [];
  return {
    errors, warnings, notes,
    error: (where, message) => { errors.push(`${where}: ${message}`); },
    warn: (where, message) => { warnings.push(`${where}: ${message}`); },
    info: (message) => { notes.push(message); },
  };
}

export function checkDeploy(root) {
  const report = createReport();
  checkDockerfile(report, readFileSync(join(root, 'Dockerfile'), 'utf8'), { root, dockerignore: readFileSync(join(root, '.dockerignore'), 'utf8') });
  checkCompose(report, parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }), { root });
  checkKubernetes(report, root);
  if (readFileSync(join(root, 'k8s/base/supergraph.graphql'), 'utf8') !== readFileSync(join(root, 'gateway/supergraph.graphql'), 'utf8')) {
    report.error('k8s/base/supergraph.graphql', 'differs from gateway/supergraph.graphql: run `npm run supergraph`');
  }
  checkSources(report, root);
  const hadolint = spawnSync('hadolint', [join(root, 'Dockerfile')], { encoding: 'utf8' });
  if (hadolint.error) report.info('hadolint is not installed (neither Debian nor npm packages it): skipped');
  else if (hadolint.status !== 0) report.error('hadolint', hadolint.stdout.trim());
  else report.info('hadolint: no findings');
  return report;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const strict = process.argv.includes('--strict');
  const report = checkDeploy(root);
  for (const n of report.notes) console.log(`· ${n}`);
  for (const w of report.warnings) console.log(`! ${w}`);
  for (const e of report.errors) console.log(`✗ ${e}`);
  console.log(`check-deploy: ${report.errors.length} errors, ${report.warnings.length} warnings`);
  process.exit(report.errors.length || (strict && report.warnings.length) ? 1 : 0);
}
