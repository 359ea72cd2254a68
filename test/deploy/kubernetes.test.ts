/**
 * The Kubernetes manifests agree with the code: `kubectl kustomize` renders them, the probes use the paths
 * and port cosjob serves, every env name is a setting the catalogue knows (secrets from a Secret, the rest
 * as plain values), and every required setting is provided.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  ALL_SETTINGS,
  ConfigError,
  environmentSource,
  loadConfig,
  SETTINGS,
} from '../../src/config/index.js';
import { isKnownSetting } from '../../src/config/settings.js';
import { HEALTH_PATHS } from '../../src/observability/paths.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const KUBECTL = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
const SKIP_NOTE = KUBECTL ? '' : ' (SKIPPED: kubectl is not installed; install it to check the manifests)';

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}
interface Probe {
  httpGet: { path: string; port: string | number };
}
interface Container {
  name: string;
  ports: { name: string; containerPort: number }[];
  env: EnvVar[];
  livenessProbe: Probe;
  readinessProbe: Probe;
  startupProbe?: Probe;
  resources: { requests?: Record<string, string>; limits?: Record<string, string> };
}
interface K8sObject {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: rendered manifests are checked field by field below
  spec: any;
}

/** Renders a kustomization and returns its objects (kubectl's --local mode turns YAML into JSON offline). */
function render(dir: string): K8sObject[] {
  const yaml = execFileSync('kubectl', ['kustomize', dir], { cwd: ROOT, encoding: 'utf8' });
  const json = execFileSync(
    'kubectl',
    ['annotate', '--local', '-f', '-', '-o', 'json', 'cosjob.test/rendered=true'],
    { input: yaml, encoding: 'utf8' },
  );
  // One pretty-printed object after another: each starts with "{" at the start of a line.
  return json
    .split(/\n(?=\{)/)
    .filter((part) => part.trim() !== '')
    .map((part) => JSON.parse(part) as K8sObject);
}

function only(objects: K8sObject[], kind: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0]!;
}

function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

describe.skipIf(!KUBECTL)(`deploy/kubernetes${SKIP_NOTE}`, () => {
  const objects = KUBECTL ? render('deploy/kubernetes') : [];
  const deployment = objects.find((o) => o.kind === 'Deployment');
  const container = deployment?.spec.template.spec.containers[0] as Container;

  it('renders a Deployment of 2 replicas, a Service and a PodDisruptionBudget that select its pods', () => {
    expect(objects.map((o) => o.kind).sort()).toEqual(['Deployment', 'PodDisruptionBudget', 'Service']);
    expect(deployment!.spec.replicas).toBe(2);
    const podLabels = deployment!.spec.template.metadata.labels as Record<string, string>;
    expect(matches(deployment!.spec.selector.matchLabels, podLabels)).toBe(true);
    const service = only(objects, 'Service');
    expect(matches(service.spec.selector, podLabels)).toBe(true);
    expect(service.spec.ports).toEqual([expect.objectContaining({ name: 'http', targetPort: 'http' })]);
    const pdb = only(objects, 'PodDisruptionBudget');
    expect(matches(pdb.spec.selector.matchLabels, podLabels)).toBe(true);
    expect(pdb.spec.minAvailable).toBe(1);
    expect(container.resources.requests).toMatchObject({
      cpu: expect.any(String),
      memory: expect.any(String),
    });
    expect(container.resources.limits).toMatchObject({ memory: expect.any(String) });
  });

  it('probes the paths cosjob serves, on the named port http = PORT', () => {
    const port = container.ports.find((p) => p.name === 'http');
    expect(port?.containerPort).toBe(Number(SETTINGS.PORT.default));
    expect(container.env.find((e) => e.name === 'PORT')?.value).toBe(String(port?.containerPort));
    expect(container.livenessProbe.httpGet).toEqual({ path: HEALTH_PATHS.live, port: 'http' });
    expect(container.readinessProbe.httpGet).toEqual({ path: HEALTH_PATHS.ready, port: 'http' });
    if (container.startupProbe) expect(container.startupProbe.httpGet.path).toBe(HEALTH_PATHS.live);
  });

  it('sets only settings the catalogue knows: secrets from a Secret, the rest as plain values', () => {
    for (const variable of container.env) {
      expect(isKnownSetting(variable.name), `${variable.name} is not a cosjob setting`).toBe(true);
      const setting = ALL_SETTINGS.find((s) => s.name === variable.name)!;
      if (setting.secret) {
        expect(variable.value, `${variable.name} is a secret: take it from a Secret`).toBeUndefined();
        expect(variable.valueFrom?.secretKeyRef?.key).toBe(variable.name);
      } else {
        expect(typeof variable.value, `${variable.name} is not secret: give it as a value`).toBe('string');
      }
    }
  });

  it('provides every required setting, in Socket Mode, and cosjob names exactly the placeholders left', () => {
    const names = new Set(container.env.map((e) => e.name));
    for (const setting of ALL_SETTINGS) {
      if (setting.required === true) expect(names.has(setting.name), setting.name).toBe(true);
      if (typeof setting.required === 'string') {
        const group = ALL_SETTINGS.filter((s) => s.required === setting.required);
        expect(
          group.some((s) => names.has(s.name)),
          setting.required,
        ).toBe(true);
      }
    }
    expect(names.has('SLACK_APP_TOKEN')).toBe(true);
    expect(names.has('SLACK_SIGNING_SECRET')).toBe(false);

    // With plausible secrets in the Secret, the only problems are the CHANGE-ME values an overlay sets.
    const plausible: Record<string, string> = {
      COS_SECRET_ID: 'AKIDexample',
      COS_SECRET_KEY: 'example-secret-key-0123456789',
      SLACK_BOT_TOKEN: 'xoxb-1-2-abc',
      SLACK_APP_TOKEN: 'xapp-1-A1-2-abc',
      AUDIT_HMAC_KEY: 'example-audit-hmac-key-0123456789',
      REDIS_URL: 'redis://redis:6379',
    };
    const env = Object.fromEntries(container.env.map((e) => [e.name, e.value ?? plausible[e.name]]));
    const placeholders = container.env.filter((e) => e.value === 'CHANGE-ME').map((e) => e.name);
    let problems: readonly string[] = [];
    try {
      loadConfig(environmentSource(env));
    } catch (error) {
      if (error instanceof ConfigError) problems = error.problems;
    }
    expect(problems.map((p) => p.split(' ')[0]).sort()).toEqual([...placeholders].sort());
  });

  it('offers a ServiceMonitor component that scrapes /metrics on the Service port', () => {
    const withMonitor = render('deploy/overlays/with-servicemonitor');
    const monitor = only(withMonitor, 'ServiceMonitor');
    expect(monitor.spec.endpoints).toEqual([
      expect.objectContaining({ port: 'http', path: HEALTH_PATHS.metrics }),
    ]);
    const service = only(withMonitor, 'Service');
    expect(matches(monitor.spec.selector.matchLabels, service.metadata.labels ?? {})).toBe(true);
  });
});
