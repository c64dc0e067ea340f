import { defineErrors } from './define-errors.ts';

/*
 * Mistakes found before a service serves anything, each with a stable code (Fastify
 * keeps boot errors in its one table too): `cleave.config.*` in what the app declares
 * (contracts, modules, sagas, app, topology, settings, the config file), `cleave.boot.*`
 * in what a boot finds when it opens things. They are thrown, never sent to a client,
 * so their status only says "the service's fault". docs/errors.md lists them.
 */

export const configErrors = defineErrors('cleave.config', {
  OPERATION_NAME: { status: 500, title: 'An operation name starts with "$", which contracts reserve' },
  EVENT_NAME: { status: 500, title: 'An event name is not a versioned literal like "user.created.v1"' },
  HANDLER_MISSING: { status: 500, title: 'A module has no handler for an operation of its contract' },
  SELF_DEPENDENCY: { status: 500, title: 'A module lists itself in dependsOn' },
  SUBSCRIPTION_UNDECLARED: { status: 500, title: 'A module subscribes to an event of a module it does not list in dependsOn' },
  SUBSCRIPTION_TWICE: { status: 500, title: 'A module subscribes to one event twice' },
  SAGA_NO_STEPS: { status: 500, title: 'A saga has no steps' },
  SAGA_STEP_TWICE: { status: 500, title: 'A saga has two steps with the same name' },
  JOB_NAME: { status: 500, title: 'A job or schedule name is not letters, digits, ".", "-" or "_"' },
  JOB_TWICE: { status: 500, title: 'A module declares two jobs or schedules with the same name' },
  JOB_OPTION_INVALID: { status: 500, title: 'A job has an invalid retry, timeout or concurrency option' },
  SCHEDULE_INVALID: { status: 500, title: 'A schedule has a cron expression or time zone that does not parse' },
  JOB_UNDECLARED: { status: 500, title: 'A transaction enqueues a job its module does not declare' },
  TOPOLOGY_JOBS_TWICE: { status: 500, title: "Two services of a topology claim one module's jobs" },
  MODULE_TWICE: { status: 500, title: 'An app lists a module twice' },
  UNKNOWN_DEPENDENCY: { status: 500, title: 'A module or aggregate depends on a module the app does not have' },
  TOPOLOGY_UNKNOWN_MODULE: { status: 500, title: 'A topology places a module the app does not have' },
  TOPOLOGY_MODULE_TWICE: { status: 500, title: 'A topology hosts a module in two places' },
  TOPOLOGY_MODULE_UNPLACED: { status: 500, title: 'A topology hosts a module nowhere' },
  TOPOLOGY_NO_GATEWAY: { status: 500, title: 'No service of a topology has the gateway role' },
  SERVICE_NOT_GATEWAY: { status: 500, title: 'A fetch handler was given a service without the gateway role' },
  SERVICE_NOT_CHOSEN: { status: 500, title: 'A topology of several services needs the service this process runs' },
  SERVICE_URL_MISSING: { status: 500, title: 'A service has neither a port in the topology nor a CLEAVE_SERVICE_<NAME>_URL' },
  SETTING_INVALID: { status: 500, title: 'An environment setting has a value it cannot take' },
  EVENT_TRANSPORT_UNSUITABLE: { status: 500, title: 'The chosen event transport cannot serve this topology or lacks its URL' },
  JOBS_BACKEND_UNSUITABLE: { status: 500, title: 'The chosen jobs backend lacks its URL or cannot reach its server' },
  SCHEMA_NAME_INVALID: { status: 500, title: 'A schema (module) name is not lower-case letters, digits and _' },
  CONFIG_FILE_MISSING: { status: 500, title: 'No cleave config file where the CLI looked' },
  CONFIG_FILE_INVALID: { status: 500, title: 'The config file does not export default defineConfig({ app, topologies })' },
  TOPOLOGY_UNKNOWN: { status: 500, title: 'No topology of that name in the config' },
  MODULE_UNKNOWN: { status: 500, title: 'No module of that name in the app' },
  APP_INVALID: { status: 500, title: 'An app, topology or config definition does not have the shape it must' },
  TYPESCRIPT_LOADER_MISSING: { status: 500, title: 'Loading TypeScript config needs tsx (or Node 22.18 or later)' },
});

export const bootErrors = defineErrors('cleave.boot', {
  BOUNDARIES_BROKEN: { status: 500, title: "A module imports another module's internals or an undeclared contract" },
  MIGRATION_FAILED: { status: 500, title: 'A migration failed; its transaction rolled back' },
  MODULE_ROUTED_TWICE: { status: 500, title: 'Two transports were registered for one module' },
  EMBEDDED_DATABASE_FAILED: { status: 500, title: 'The embedded PostgreSQL server could not be created or started' },
  EMBEDDED_DATABASE_UNAVAILABLE: { status: 500, title: 'The chosen embedded database is not installed for this platform' },
});
