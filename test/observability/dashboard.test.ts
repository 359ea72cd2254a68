/** The shipped Grafana dashboard queries only metrics the registry really exports. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COSJOB_METRIC_NAMES, CosjobMetrics } from '../../src/observability/metrics.js';

interface Dashboard {
  panels: { title: string; targets: { expr: string }[] }[];
}

/** Names in a PromQL expression that look like metrics (not functions, labels or keywords). */
function metricNames(expr: string): string[] {
  const withoutLabels = expr.replace(/\{[^}]*\}/g, '').replace(/\b(by|without)\s*\([^)]*\)/g, '');
  const words = withoutLabels.match(/[a-zA-Z_:][\w:]*(?!\s*\()/g) ?? [];
  return words.filter((w) => /^(cosjob|process|nodejs)_/.test(w));
}

describe('deploy/grafana/cosjob-dashboard.json', () => {
  it('queries only metrics that the registry exports, and covers every cosjob metric', async () => {
    const dashboard = JSON.parse(readFileSync('deploy/grafana/cosjob-dashboard.json', 'utf8')) as Dashboard;
    const metrics = new CosjobMetrics();
    metrics.cosRequestDuration.observe({ api: 'ListJobs' }, 0.01);
    const exported = new Set<string>();
    for (const family of await metrics.registry.getMetricsAsJSON()) {
      exported.add(family.name);
      if (String(family.type) === 'histogram')
        for (const s of ['_bucket', '_sum', '_count']) exported.add(family.name + s);
    }
    const queried = new Set(dashboard.panels.flatMap((p) => p.targets.flatMap((t) => metricNames(t.expr))));
    expect(queried.size).toBeGreaterThan(0);
    for (const name of queried) expect(exported.has(name), `${name} is queried but not exported`).toBe(true);
    for (const name of COSJOB_METRIC_NAMES) {
      expect(
        [...queried].some((q) => q === name || q.startsWith(`${name}_`)),
        `${name} has no panel`,
      ).toBe(true);
    }
  });

  it('exports exactly the cosjob metrics of the README, with their labels', async () => {
    const metrics = new CosjobMetrics({ defaultMetrics: false });
    const families = await metrics.registry.getMetricsAsJSON();
    expect(families.map((f) => f.name).sort()).toEqual([...COSJOB_METRIC_NAMES].sort());
  });
});
