import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
// @ts-expect-error: a plain .mjs script, without type declarations
import { checkCompose, checkK8s, createReport, readBase } from '../scripts/check-deploy.mjs';

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
