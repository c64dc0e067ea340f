import type { ChecklistSource } from '../../dashboard/checklist-api.ts';
import type { LimiterFactory } from '../../gateway/rate-limit.ts';
import type { AnyModule } from '../../module/define-module.ts';
import { createLogger } from '../../telemetry/logger.ts';
import type { Logger } from '../../telemetry/logger.ts';
import type { Tracer } from '../../telemetry/tracer.ts';
import type { AppDefinition } from '../define-app.ts';
import type { ServiceSettings } from '../settings.ts';
import { jobsServiceOf, validateTopology } from '../topology.ts';
import type { ServiceSpec, Topology } from '../topology.ts';
import { createServiceMetrics } from './metrics.ts';
import type { ServiceMetrics } from './metrics.ts';
import { startTracing } from './tracing.ts';
import type { ServiceTracing } from './tracing.ts';
import { Closers } from './closers.ts';
import { Readiness } from './readiness.ts';
import { configErrors } from '../../errors/boot-errors.ts';

export interface BootOptions {
  readonly app: AppDefinition;
  readonly topology: Topology;
  readonly service?: string;
  readonly settings: ServiceSettings;
  readonly listen?: boolean;
  readonly logger?: Logger;
  readonly limiterFactory?: LimiterFactory;
  /** The readiness checklist for the dashboard's page; `cleave start` passes it (it reads the app's source). */
  readonly checklist?: ChecklistSource;
}

/** What every wiring of one service's boot reads: the service, its settings, and where to register closes and probes. */
export interface ServiceBoot {
  readonly app: AppDefinition;
  readonly topology: Topology;
  /** This service's name in the topology. */
  readonly name: string;
  readonly spec: ServiceSpec;
  /** The module definitions this service hosts. */
  readonly hosted: readonly AnyModule[];
  /** The modules whose jobs and schedules run here: hosted ones no worker claims, and those `spec.jobs` lists. */
  readonly jobsHere: readonly AnyModule[];
  readonly multiService: boolean;
  readonly settings: ServiceSettings;
  readonly options: BootOptions;
  readonly logger: Logger;
  readonly tracer: Tracer;
  /** OTLP export, the local span store or forwarding to the gateway's (issue 10). */
  readonly tracing: ServiceTracing;
  /** GET /metrics (issue 10). */
  readonly metrics: ServiceMetrics;
  readonly closers: Closers;
  readonly readiness: Readiness;
}

/** Resolves which service this process runs and creates its logger and tracer; opens nothing else. */
export function prepareBoot(options: BootOptions): ServiceBoot {
  const { app, topology, settings } = options;
  validateTopology(app, topology);
  const serviceNames = Object.keys(topology.services);
  const name = options.service ?? (serviceNames.length === 1 ? serviceNames[0] : undefined);
  const spec = name === undefined ? undefined : topology.services[name];
  if (name === undefined || spec === undefined) {
    throw configErrors.SERVICE_NOT_CHOSEN(`choose a service of topology "${topology.name}": ${serviceNames.join(', ')}`);
  }
  const logger = options.logger ?? createLogger({ service: name, level: settings.logLevel, pretty: settings.logFormat === 'pretty' });
  const metrics = createServiceMetrics(name, settings);
  const tracing = startTracing(topology, name, settings, metrics.spans);
  const tracer = tracing.tracer;
  const closers = new Closers(logger);
  closers.add('tracer', () => tracer.shutdown());
  const hosted = spec.modules.map((m) => app.modules.find((d) => d.name === m) as AnyModule);
  const jobsHere = app.modules.filter((m) => jobsServiceOf(topology, m.name) === name);
  return { app, topology, name, spec, hosted, jobsHere, multiService: serviceNames.length > 1, settings, options, logger, tracer, tracing, metrics, closers, readiness: new Readiness() };
}
