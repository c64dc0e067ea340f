import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { serviceUrl } from '../../runtime/service-directory.ts';
import { Supervisor } from '../../runtime/supervisor.ts';
import type { Topology } from '../../runtime/topology.ts';
import { settingsFromEnv } from '../../runtime/settings.ts';
import { startService } from '../../runtime/start-service.ts';
import { loadConfig, pickTopology } from '../load-config.ts';

/** `cleave start`: run a topology, or one service of it. */
export function registerStart(program: Command): void {
  program
    .command('start')
    .description('start the app: the whole topology, or one --service of it')
    .option('-t, --topology <name>', 'topology to run (default: monolith)')
    .option('-s, --service <name>', 'run only this service, as in a container')
    .action(async (options: { topology?: string; service?: string }, command: Command) => {
      const config = await loadConfig(command.optsWithGlobals().config);
      const topology = pickTopology(config, options.topology);
      const services = Object.keys(topology.services);
      if (options.service === undefined && services.length > 1) {
        superviseTopology(topology, command.optsWithGlobals().config);
        return;
      }
      const service = await startService({
        app: config.app,
        topology,
        settings: settingsFromEnv(),
        ...(options.service ? { service: options.service } : {}),
      });
      console.log(`${service.name}: listening on ${service.url}${service.gateway ? ` — API at ${service.url}/api/v1` : ''}`);
      stopOnSignals(() => service.stop());
    });
}

/** The whole topology, one child process per service, under a supervisor. */
function superviseTopology(topology: Topology, configPath: string): void {
  const bin = fileURLToPath(new URL('../../../bin/cleave.mjs', import.meta.url));
  const supervisor = new Supervisor({
    env: process.env,
    services: Object.entries(topology.services).map(([name, spec]) => {
      const [program, ...args] = spec.command ?? [process.execPath, bin, '--config', configPath, 'start', '--topology', topology.name, '--service', name];
      return { name, command: program as string, args };
    }),
  });
  supervisor.start();
  for (const [name, spec] of Object.entries(topology.services)) {
    const internal = serviceUrl(topology, name, process.env);
    const publicUrl = spec.roles?.includes('gateway') ? ` — API at http://127.0.0.1:${process.env.PORT ?? 3000}/api/v1` : '';
    console.log(`${name}: ${internal}${publicUrl}`);
  }
  stopOnSignals(() => supervisor.stop());
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
