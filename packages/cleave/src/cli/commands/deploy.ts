import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { generatePrivateJwk } from '../../auth/signing-key.ts';
import { composeFile, DOCKERIGNORE, dockerfile } from '../../deploy/compose.ts';
import { kubernetesManifests } from '../../deploy/kubernetes.ts';
import { planServices } from '../../deploy/service-plan.ts';
import type { ServicePlan } from '../../deploy/service-plan.ts';
import { databaseFor, settingsFromEnv } from '../../runtime/settings.ts';
import { loadConfig, pickTopology } from '../load-config.ts';

/** `cleave deploy k8s|compose --topology <name>`: manifests that run a topology past one machine. */
export function registerDeploy(program: Command): void {
  program
    .command('deploy')
    .description('write Kubernetes manifests or a Compose file for a topology, and a Dockerfile for the app')
    .argument('<target>', 'k8s or compose')
    .option('-t, --topology <name>', 'topology to deploy (default: the config\'s default)')
    .option('--out <dir>', 'output folder, relative to the config file', 'deploy')
    .option('--image <name>', 'the app\'s image (default <app>:<version>)')
    .option('--namespace <name>', 'Kubernetes namespace', 'default')
    .action(async (target: string, options: { topology?: string; out: string; image?: string; namespace: string }, command: Command) => {
      if (target !== 'k8s' && target !== 'compose') throw new Error(`deploy target must be k8s or compose (got "${target}")`);
      const configFile = resolve(command.optsWithGlobals<{ config: string }>().config);
      const config = await loadConfig(configFile);
      const topology = pickTopology(config, options.topology);
      const out = resolve(dirname(configFile), options.out);
      await mkdir(out, { recursive: true });
      const written: string[] = [];
      const write = async (name: string, text: string) => {
        await writeFile(join(out, name), text, { mode: name.endsWith('.k8s.yaml') ? 0o600 : 0o644 });
        written.push(relative(process.cwd(), join(out, name)));
      };
      const deployOptions = { ...(options.image ? { image: options.image } : {}), namespace: options.namespace };
      if (target === 'k8s') {
        const secrets = await generatedSecrets(planServices(config.app, topology));
        const manifests = kubernetesManifests(config.app, topology, { ...deployOptions, secrets });
        await write(`${topology.name}.k8s.yaml`, manifests.map((m) => stringify(m)).join('---\n'));
        console.log('! the manifests hold freshly generated private signing keys in their Secrets: keep them out of version control');
      } else {
        await write('compose.yaml', stringify(composeFile(config.app, topology, deployOptions)));
      }
      await write('Dockerfile', dockerfile(topology));
      await write('.dockerignore', DOCKERIGNORE);
      for (const f of written) console.log(`✓ ${f}`);
    });
}

/** Secret values per service: new Ed25519 keys, database URLs from this environment when set. */
async function generatedSecrets(plans: readonly ServicePlan[]): Promise<(plan: ServicePlan) => Record<string, string>> {
  const settings = settingsFromEnv();
  const userTokenKey = JSON.stringify(await generatePrivateJwk());
  const values = new Map<string, Record<string, string>>();
  for (const plan of plans) {
    const found: Record<string, string> = { CLEAVE_SERVICE_KEY: JSON.stringify(await generatePrivateJwk()) };
    for (const name of plan.secretNames) {
      const schema = /^(.+)_DATABASE_URL$/.exec(name)?.[1]?.toLowerCase();
      const location = schema === undefined ? undefined : databaseFor(settings, schema);
      if (location?.kind === 'postgres') found[name] = location.url;
    }
    if (plan.gateway) found.CLEAVE_USER_TOKEN_KEY = userTokenKey;
    values.set(plan.name, found);
  }
  return (plan) => values.get(plan.name) ?? {};
}
