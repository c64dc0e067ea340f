import type { AppDefinition } from '../runtime/define-app.ts';
import type { Topology } from '../runtime/topology.ts';
import { planServices, PUBLIC_PORT, serviceAddresses } from './service-plan.ts';
import type { ServicePlan } from './service-plan.ts';

export interface DeployOptions {
  /** The app's image (built from the generated Dockerfile). Default `<app>:<version>`. */
  readonly image?: string;
  readonly namespace?: string;
  /** Secret values by variable name (generated keys, database URLs); absent ones are placeholders to fill in. */
  readonly secrets?: (service: ServicePlan) => Readonly<Record<string, string>>;
}

export type Manifest = Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string } };

/**
 * Kubernetes manifests that run a topology on a cluster: per service a Deployment
 * (probes on /healthz and /readyz, resources, a preStop pause then SIGTERM, which the
 * service answers by draining), a Service, a HorizontalPodAutoscaler, a
 * PodDisruptionBudget, a NetworkPolicy and a Secret.
 */
export function kubernetesManifests(app: AppDefinition, topology: Topology, options: DeployOptions = {}): Manifest[] {
  const plans = planServices(app, topology);
  const image = options.image ?? `${app.name}:${app.version}`;
  const namespace = options.namespace ?? 'default';
  const prefix = (s: string) => `${app.name}-${s}`;
  const addresses = serviceAddresses(plans, prefix);
  const labels = (s: string) => ({ 'app.kubernetes.io/name': app.name, 'app.kubernetes.io/component': s, 'cleave.dev/topology': topology.name });
  const selector = (s: string) => ({ 'app.kubernetes.io/name': app.name, 'app.kubernetes.io/component': s });
  return plans.flatMap((plan): Manifest[] => {
    const name = prefix(plan.name);
    const metadata = { name, namespace, labels: labels(plan.name) };
    // One service alone has no internal listener: its gateway is all there is.
    const internal = plans.length > 1 ? [{ name: 'internal', containerPort: plan.internalPort }] : [];
    const ports = [...internal, ...(plan.gateway ? [{ name: 'http', containerPort: PUBLIC_PORT }] : [])];
    // The gateway answers health on its public port; the others on their internal listener.
    const probePort = plan.gateway ? 'http' : 'internal';
    const values = options.secrets?.(plan) ?? {};
    return [
      {
        apiVersion: 'v1', kind: 'Secret', metadata: { ...metadata, name: `${name}-secrets` }, type: 'Opaque',
        stringData: Object.fromEntries(plan.secretNames.map((k) => [k, values[k] ?? `CHANGE_ME (${k})`])),
      },
      {
        apiVersion: 'apps/v1', kind: 'Deployment', metadata,
        spec: {
          selector: { matchLabels: selector(plan.name) },
          template: {
            metadata: { labels: labels(plan.name) },
            spec: {
              terminationGracePeriodSeconds: 30,
              securityContext: { runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000 },
              containers: [{
                name: plan.name,
                image,
                command: ['node_modules/.bin/cleave', 'start', '--topology', topology.name, '--service', plan.name],
                ports,
                env: [
                  { name: 'NODE_ENV', value: 'production' },
                  { name: 'HOST', value: '0.0.0.0' },
                  { name: 'CLEAVE_DATA_DIR', value: '/tmp/cleave' },
                  ...(plan.gateway ? [{ name: 'PORT', value: String(PUBLIC_PORT) }] : []),
                  ...Object.entries(addresses).map(([k, value]) => ({ name: k, value })),
                ],
                envFrom: [{ secretRef: { name: `${name}-secrets` } }],
                resources: { requests: { cpu: '100m', memory: '192Mi' }, limits: { memory: '512Mi' } },
                livenessProbe: { httpGet: { path: '/healthz', port: probePort }, periodSeconds: 10, failureThreshold: 3 },
                readinessProbe: { httpGet: { path: '/readyz', port: probePort }, periodSeconds: 5, failureThreshold: 2 },
                startupProbe: { httpGet: { path: '/healthz', port: probePort }, periodSeconds: 2, failureThreshold: 60 },
                // Endpoints are removed asynchronously: keep serving a few seconds before SIGTERM.
                lifecycle: { preStop: { exec: { command: ['sleep', '5'] } } },
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true },
                volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
              }],
              volumes: [{ name: 'tmp', emptyDir: {} }],
            },
          },
        },
      },
      {
        apiVersion: 'v1', kind: 'Service', metadata,
        spec: { selector: selector(plan.name), ports: ports.map((p) => ({ name: p.name, port: p.containerPort, targetPort: p.name })) },
      },
      {
        apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata,
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
          minReplicas: 2, maxReplicas: 10,
          metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
        },
      },
      { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata, spec: { minAvailable: 1, selector: { matchLabels: selector(plan.name) } } },
      networkPolicy(plan, metadata, selector),
    ];
  });
}

/**
 * Lets in only the services that declare a dependency on this one (and, on the same
 * port, the services it calls: a callee fetches its caller's JWKS to verify the caller's
 * service token). The gateway's public port is open to all.
 */
function networkPolicy(plan: ServicePlan, metadata: Manifest['metadata'] & Record<string, unknown>, selector: (s: string) => Record<string, string>): Manifest {
  const peers = [...new Set([...plan.dependants, ...plan.dependencies])].sort();
  const ingress: unknown[] = [];
  if (peers.length > 0) ingress.push({ from: peers.map((p) => ({ podSelector: { matchLabels: selector(p) } })), ports: [{ protocol: 'TCP', port: plan.internalPort }] });
  if (plan.gateway) ingress.push({ ports: [{ protocol: 'TCP', port: PUBLIC_PORT }] });
  return {
    apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata,
    spec: { podSelector: { matchLabels: selector(plan.name) }, policyTypes: ['Ingress'], ingress },
  };
}
