/**
 * Cleave: write a modular monolith, split it into services by configuration.
 * This is the public entry point; everything else under src/ is internal.
 */
export { CleaveError, isCleaveError } from './errors/cleave-error.ts';
export { defineErrors } from './errors/define-errors.ts';
export type { ErrorFactory, ErrorRegistry, ErrorSpec } from './errors/define-errors.ts';
export { errors } from './errors/framework-errors.ts';
export { bootErrors, configErrors } from './errors/boot-errors.ts';
export type { FieldError } from './errors/validation.ts';

export { defineContract, event, operation } from './module/contract.ts';
export type {
  AnyContract, AnyOperation, Contract, EventDefinition, EventSpec, HttpExposure, HttpMethod,
  Operation, OperationInput, OperationOutput, OperationSpec,
} from './module/contract.ts';
export { bytes, isRawMessage, rawOutput } from './module/raw-body.ts';
export type { RawOutput } from './module/raw-body.ts';
export { defineModule } from './module/define-module.ts';
export type { AnyModule, Handler, Handlers, ModuleDefinition, ModuleSpec } from './module/define-module.ts';
export type { ModuleContext } from './module/module-context.ts';
export type { AuthenticatedUser, CallOptions, RequestContext } from './module/request-context.ts';

export type { Migration, Migrations } from './data/migrations.ts';
// The query builder modules write with, so an app uses the framework's own version of it.
export { sql } from 'kysely';
export type { ColumnType, Generated, Insertable, Kysely, Selectable, Updateable } from 'kysely';
export { hashPassword, verifyPassword, burnPasswordCheck } from './auth/password.ts';

export { defineAggregate } from './gateway/aggregate.ts';
export type { Aggregate, AggregateContext, AggregateSpec } from './gateway/aggregate.ts';
export type { IdentityOperations } from './gateway/auth-routes.ts';
export { defaultRateLimits } from './gateway/rate-limit.ts';
export type { RateLimitPolicy } from './gateway/rate-limit.ts';

export { defineApp } from './runtime/define-app.ts';
export type { AppDefinition, AppSpec, GatewaySpec } from './runtime/define-app.ts';
export type { Authenticate } from './gateway/user-auth.ts';
export { defineTopology } from './runtime/topology.ts';
export { exportContract } from './runtime/contract-export.ts';
export type { ServiceSpec, Topology } from './runtime/topology.ts';
export { defineConfig } from './runtime/define-config.ts';
export type { CleaveConfig } from './runtime/define-config.ts';
export { settingsFromEnv } from './runtime/settings.ts';
export type { ServiceSettings } from './runtime/settings.ts';
export { startService } from './runtime/start-service.ts';
export type { RunningService, StartServiceOptions } from './runtime/start-service.ts';
export { fetchHandler } from './runtime/fetch-handler.ts';
export type { FetchHandler, FetchHandlerOptions } from './runtime/fetch-handler.ts';
export { defineSaga } from './saga/define-saga.ts';
export type { AnySaga, SagaDefinition, SagaSpec, SagaStep, SagaStepContext } from './saga/define-saga.ts';
export type { EventContext, ModuleTransaction, Subscription } from './events/subscription.ts';
export type { EnqueueFn, EnqueueOptions, EnqueueableJob, PublishFn, StartSagaFn, StartableSaga } from './module/module-transaction.ts';
export { defineJob } from './jobs/define-job.ts';
export type { AnyJob, JobContext, JobDefinition, JobOptions, JobSpec, RateLimit as JobRateLimit } from './jobs/define-job.ts';
export { defineSchedule } from './jobs/define-schedule.ts';
export type { AnySchedule, ScheduleDefinition, ScheduleSpec, ScheduleTick } from './jobs/define-schedule.ts';
export type { JobStatus } from './jobs/job-tables.ts';
export { checkBoundaries } from './check/boundaries.ts';
export type { BoundaryViolation, ModuleBoundary } from './check/boundaries.ts';
export { checkArchitecture, databaseUrlsFromEnv } from './check/architecture.ts';
export type { ArchitectureReport } from './check/architecture.ts';
export { checklist } from './check/checklist.ts';
export type { ChecklistGroup, ChecklistItem, ChecklistReport } from './check/checklist.ts';
export type { ModuleTeam, ReadinessConfig, ReadinessThresholds, TeamConfig } from './check/readiness-config.ts';
export { moduleDocs } from './check/module-docs.ts';
export type { StoredSpan } from './telemetry/span-store.ts';
export { advise, hopLatency, suggestedTopology } from './check/advise.ts';
export type { Advice, ExtractionCandidate, HopLatency } from './check/advise.ts';
