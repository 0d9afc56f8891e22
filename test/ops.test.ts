import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';

const root = fileURLToPath(new URL('..', import.meta.url));
const alerts = parse(readFileSync(`${root}/ops/prometheus/alerts.yaml`, 'utf8')) as { groups: Array<{ name: string; rules: any[] }> };
const dashboard = JSON.parse(readFileSync(`${root}/ops/grafana/rowline.json`, 'utf8'));
const panelExprs: string[] = dashboard.panels.flatMap((p: any) => p.targets.map((t: any) => t.expr));
const alertExprs: string[] = alerts.groups.flatMap((g) => g.rules.map((r) => r.expr));

/** `promtool check rules` (Debian's prometheus package): the real parser of PromQL and rule files. */
function promtool(file: string) {
  const r = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
  if (r.error) throw new Error('promtool is not installed: apt-get install prometheus (.ci/run does)');
  return r;
}

/** Every rowline_* metric the code registers (name to its prom-client class), read from the sources of packages/, services/ and gateway/. */
function registeredMetrics(): Map<string, string> {
  const names = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (entry === 'node_modules' || entry === 'dist' || entry === 'test') continue;
      if (statSync(path).isDirectory()) walk(path);
      else if (path.endsWith('.ts')) for (const m of readFileSync(path, 'utf8').matchAll(/new (\w+)\(\{\s*name: '(rowline_[a-z_]+)'/g)) names.set(m[2]!, m[1]!);
    }
  };
  for (const dir of ['packages', 'services', 'gateway']) walk(join(root, dir));
  return names;
}

describe('the Prometheus alert rules', () => {
  it('give every rule an expression, a for, a severity and a summary', () => {
    const rules = alerts.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert)).toEqual(expect.arrayContaining(['RowlineRunFailureRateHigh', 'RowlineConsumerLagHigh', 'RowlineDeadLetters', 'RowlineDeadDeliveries']));
    for (const r of rules) {
      expect(typeof r.expr, r.alert).toBe('string');
      expect(r.for, r.alert).toMatch(/^\d+[smh]$/);
      expect(['page', 'ticket', 'info'], r.alert).toContain(r.labels?.severity);
      expect(r.annotations?.summary, r.alert).toBeTruthy();
    }
  });

  it('pass promtool check rules', () => {
    const r = promtool(`${root}/ops/prometheus/alerts.yaml`);
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });
});

describe('the Grafana dashboard', () => {
  it('has a panel for runs, latency, errors, consumer lag and deliveries, each with a query', () => {
    const titles = dashboard.panels.map((p: any) => p.title.toLowerCase()).join('\n');
    for (const topic of ['runs', 'latency', '5xx', 'lag', 'deliveries', 'dead letters']) expect(titles).toContain(topic);
    const ids = dashboard.panels.map((p: any) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) {
      expect(p.targets.length, p.title).toBeGreaterThan(0);
      expect(p.gridPos, p.title).toMatchObject({ w: expect.any(Number), h: expect.any(Number) });
    }
  });

  it('queries only valid PromQL (promtool checks each query as a recording rule)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rowline-dashboard-'));
    try {
      const file = join(dir, 'dashboard-queries.yaml');
      writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules: panelExprs.map((expr, i) => ({ record: `rowline:dashboard_query_${i}`, expr })) }] }));
      const r = promtool(file);
      expect(r.status, r.stdout + r.stderr).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('metric names', () => {
  it('used by the alerts and the dashboard are registered by the code, and follow Prometheus conventions', () => {
    const registered = registeredMetrics();
    const used = new Set([...panelExprs, ...alertExprs].flatMap((e) => [...e.matchAll(/\b(rowline_[a-z_]+)/g)].map((m) => m[1]!.replace(/_(bucket|count|sum)$/, ''))));
    expect(used.size).toBeGreaterThan(3);
    for (const name of used) expect([...registered.keys()], name).toContain(name);
    for (const [name, type] of registered) {
      // Counters end in _total, histograms measure seconds, gauges (a level, not a count of events) carry neither.
      const suffix = { Counter: /_total$/, Histogram: /_seconds$/, Gauge: /^(?!.*_total$)(?!.*_seconds$)/ }[type];
      expect(suffix, `${name}: a ${type}`).toBeDefined();
      expect(name, `${name} (${type})`).toMatch(/^rowline_[a-z]+(_[a-z]+)*$/);
      expect(name, `${name} (${type})`).toMatch(suffix!);
    }
  });

  it('the workers\' autoscalers read the lag metric the adapter rules serve', () => {
    const adapter = parse(readFileSync(`${root}/ops/prometheus/adapter-rules.yaml`, 'utf8'));
    const served = adapter.external.map((r: any) => r.name.as);
    const hpa = readFileSync(`${root}/k8s/base/autoscaling.yaml`, 'utf8');
    for (const m of hpa.matchAll(/name: (rowline_[a-z_]+)/g)) expect(served).toContain(m[1]);
  });
});
