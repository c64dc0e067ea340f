import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { SESSIONS_SCHEMA } from '../../auth/session-store.ts';
import { checkArchitecture, databaseUrlsFromEnv } from '../../check/architecture.ts';
import { checklist } from '../../check/checklist.ts';
import type { CleaveConfig } from '../../runtime/define-config.ts';
import { acquireEmbeddedPostgres, releaseEmbeddedPostgres } from '../../data/embedded-postgres.ts';
import type { AppDefinition } from '../../runtime/define-app.ts';
import { serviceUrl } from '../../runtime/service-directory.ts';
import { Supervisor } from '../../runtime/supervisor.ts';
import type { Topology } from '../../runtime/topology.ts';
import { databaseFor, settingsFromEnv } from '../../runtime/settings.ts';
import type { ServiceSettings } from '../../runtime/settings.ts';
import { startService } from '../../runtime/start-service.ts';
import { startBanner } from '../banner.ts';
import { loadConfig, pickTopology } from '../load-config.ts';

/** `cleave start`: run a topology, or one service of it. */
export function registerStart(program: Command): void {
  program
    .command('start')
    .description('start the app: the whole topology, or one --service of it')
    .option('-t, --topology <name>', 'topology to run (default: monolith)')
    .option('-s, --service <name>', 'run only this service, as in a container')
    .action(async (options: { topology?: string; service?: string }, command: Command) => {
      const configFile = command.optsWithGlobals<{ config: string }>().config;
      const config = await loadConfig(configFile);
      const topology = pickTopology(config, options.topology);
      const services = Object.keys(topology.services);
      if (options.service === undefined && services.length > 1) {
        await superviseTopology(config.app, topology, configFile);
        return;
      }
      const settings = settingsFromEnv();
      const began = performance.now();
      if (usesEmbeddedPostgres(config.app, settings)) {
        console.log(`Starting embedded PostgreSQL in ${relative(process.cwd(), settings.dataDir) || '.'}/postgres…`);
      }
      const service = await startService({
        app: config.app,
        topology,
        settings,
        ...(options.service ? { service: options.service } : {}),
        checklist: checklistOf(config, settings, configFile),
      });
      if (service.publicUrl) {
        console.log(startBanner({ app: config.app, topology, settings, publicUrl: service.publicUrl }));
        console.log(`(started in ${((performance.now() - began) / 1000).toFixed(1)} s)`);
      } else {
        console.log(`${service.name}: listening on ${service.url}`);
      }
      stopOnSignals(() => service.stop());
    });
}

/** The whole topology, one child process per service, under a supervisor. */
async function superviseTopology(app: AppDefinition, topology: Topology, configPath: string): Promise<void> {
  // The supervisor owns the embedded PostgreSQL server, so it outlives any one service's
  // crash and restart; the services join it.
  const settings = settingsFromEnv();
  const embedded = usesEmbeddedPostgres(app, settings);
  if (embedded) await acquireEmbeddedPostgres(settings.dataDir);
  const bin = fileURLToPath(new URL('../../../bin/cleave.mjs', import.meta.url));
  const supervisor = new Supervisor({
    env: process.env,
    services: Object.entries(topology.services).map(([name, spec]) => {
      const [program, ...args] = spec.command ?? [process.execPath, bin, '--config', configPath, 'start', '--topology', topology.name, '--service', name];
      return { name, command: program as string, args };
    }),
  });
  supervisor.start();
  console.log(startBanner({ app, topology, settings, publicUrl: `http://${settings.host}:${settings.port ?? 3000}` }));
  console.log('Services (internal listeners; each logs when it is up):');
  for (const [name, spec] of Object.entries(topology.services)) {
    console.log(`  ${name.padEnd(14)} ${serviceUrl(topology, name, process.env)}  ${spec.modules.join(', ')}${spec.roles?.includes('gateway') ? ' + gateway' : ''}${spec.jobs?.length ? ` + jobs of ${spec.jobs.join(', ')}` : ''}`);
  }
  stopOnSignals(async () => {
    await supervisor.stop();
    if (embedded) await releaseEmbeddedPostgres(settings.dataDir);
  });
}

/** The dashboard's checklist page: what `cleave check` prints, computed when the page asks. */
function checklistOf(config: CleaveConfig, settings: ServiceSettings, configFile: string) {
  return async () => checklist(config, await checkArchitecture(config.app.modules, { databaseUrls: databaseUrlsFromEnv() }), settings, dirname(resolve(configFile)));
}

function usesEmbeddedPostgres(app: AppDefinition, settings: ServiceSettings): boolean {
  return [SESSIONS_SCHEMA, ...app.modules.map((m) => m.name)].some((module) => databaseFor(settings, module).kind === 'embedded');
}

/** First SIGINT/SIGTERM: graceful stop. A second: exit now. */
export function stopOnSignals(stop: () => Promise<void>): void {
  let signals = 0;
  const onSignal = () => {
    if (++signals > 1) process.exit(1);
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
