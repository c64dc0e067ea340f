/**
 * The business and team facts `cleave check` cannot read from code, declared in
 * `cleave.config.ts`. The thresholds default to the seed's "typical thresholds".
 *
 * @example
 * readiness: { engineers: 6, arrUsd: 1_200_000, users: 40_000, monitoring: 'Better Stack' },
 * team: { payments: { owner: 'team-billing', onCall: 'billing-rota', engineers: 3 } },
 */
export interface ReadinessConfig {
  readonly engineers?: number;
  /** Annual recurring revenue, in US dollars. */
  readonly arrUsd?: number;
  readonly users?: number;
  /** Modules whose load differs from the rest, and how (e.g. `payments: 'PCI scope'`, `media: 'CPU-heavy'`). */
  readonly scalingNeeds?: Readonly<Record<string, string>>;
  /** Where per-service monitoring goes (e.g. `Better Stack`, `Grafana`); none = not set up. */
  readonly monitoring?: string;
  readonly thresholds?: Partial<ReadinessThresholds>;
  /** The test runner's coverage summary (istanbul `json-summary`). Default `coverage/coverage-summary.json`. */
  readonly coverageFile?: string;
}

export interface ReadinessThresholds {
  readonly engineers: number;
  readonly arrUsd: number;
  readonly users: number;
  /** Line coverage per module, in percent, for "comprehensive test coverage". */
  readonly coveragePct: number;
  /** Most modules one module may depend on for "minimal cross-module dependencies". */
  readonly maxFanOut: number;
  /** The seed's team size per service. */
  readonly teamSize: readonly [min: number, max: number];
}

/** The seed: "20+ engineers, $10M+ ARR, 1M+ users"; "Dedicated team per service (3-5 engineers)". */
export const SEED_THRESHOLDS: ReadinessThresholds = {
  engineers: 20,
  arrUsd: 10_000_000,
  users: 1_000_000,
  coveragePct: 80,
  maxFanOut: 3,
  teamSize: [3, 5],
};

/** Who owns a module and answers for it at night. */
export interface ModuleTeam {
  readonly owner?: string;
  readonly onCall?: string;
  readonly engineers?: number;
}

export type TeamConfig = Readonly<Record<string, ModuleTeam>>;
