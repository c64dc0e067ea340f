import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CleaveConfig } from '../runtime/define-config.ts';
import type { Topology } from '../runtime/topology.ts';
import { loadTypeScript } from './typescript-loader.ts';
import { configErrors } from '../errors/boot-errors.ts';

export async function loadConfig(path = 'cleave.config.ts'): Promise<CleaveConfig> {
  const file = resolve(path);
  if (!existsSync(file)) throw configErrors.CONFIG_FILE_MISSING(`no ${path} here (${process.cwd()}); pass --config <file>`);
  await loadTypeScript();
  const loaded = (await import(pathToFileURL(file).href)) as { default?: CleaveConfig };
  if (!loaded.default?.app || !loaded.default.topologies) throw configErrors.CONFIG_FILE_INVALID(`${path} must export default defineConfig({ app, topologies })`);
  return loaded.default;
}

export function pickTopology(config: CleaveConfig, name: string | undefined): Topology {
  const chosen = name ?? config.defaultTopology ?? 'monolith';
  const topology = config.topologies[chosen];
  if (!topology) throw configErrors.TOPOLOGY_UNKNOWN(`unknown topology "${chosen}"; known: ${Object.keys(config.topologies).join(', ')}`);
  return topology;
}
