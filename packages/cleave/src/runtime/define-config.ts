import type { ReadinessConfig, TeamConfig } from '../check/readiness-config.ts';
import type { AppDefinition } from './define-app.ts';
import { assertShape, configSchema } from './definition-schemas.ts';
import { validateTopology } from './topology.ts';
import type { Topology } from './topology.ts';

/** What `cleave.config.ts` exports: the app and the topologies it can run as. */
export interface CleaveConfig {
  readonly app: AppDefinition;
  readonly topologies: Readonly<Record<string, Topology>>;
  /** Topology used when none is named. Default `monolith`. */
  readonly defaultTopology?: string;
  /** Business facts for `cleave check`'s checklist (engineers, ARR, users…); the seed's thresholds by default. */
  readonly readiness?: ReadinessConfig;
  /** Owner, on-call and team size per module, for the checklist's Team group. */
  readonly team?: TeamConfig;
}

/**
 * Declares the project for the `cleave` command. Checks that every topology places every
 * module of the app exactly once and has a gateway, so `cleave start` cannot fail on it later.
 *
 * @example
 * export default defineConfig({ app, topologies: { monolith, split } });
 */
export function defineConfig(config: CleaveConfig): CleaveConfig {
  assertShape('defineConfig', configSchema, config);
  for (const topology of Object.values(config.topologies)) validateTopology(config.app, topology);
  return config;
}
