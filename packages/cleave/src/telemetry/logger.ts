import { pino } from 'pino';
import type { Logger } from 'pino';
import { createRequire } from 'node:module';
import type PinoPretty from 'pino-pretty';

export type { Logger };

export interface LoggerOptions {
  readonly service: string;
  readonly level?: string;
  /** Where lines go; defaults to stdout. Tests pass a stream to read them back. */
  readonly destination?: NodeJS.WritableStream;
  /** Human-readable lines (pino-pretty) instead of JSON: for a developer's terminal. */
  readonly pretty?: boolean;
}

const REDACTED = '[Redacted]';

/**
 * Members that hold secrets or values bound to a SQL statement. `params` and friends are
 * the parameters drivers attach to their errors (PGlite: `query`, `params`): on a failed
 * insert into users they carry the Argon2id hash, so they never reach a log line.
 */
const SECRET_KEYS: ReadonlySet<string> = new Set([
  'password', 'passwordhash', 'password_hash', 'token', 'accesstoken', 'refreshtoken', 'idtoken', 'authorization',
  'cookie', 'apikey', 'api_key', 'secret', 'privatekey', 'private_key',
  'params', 'parameters', 'bindings', 'queryoptions',
]);

// The top level and one level down, by pino's own fast redaction (fast-redact).
const REDACT_PATHS = [...SECRET_KEYS, 'accessToken', 'refreshToken', 'passwordHash', 'idToken', 'apiKey', 'privateKey']
  .flatMap((k) => [k, `*.${k}`])
  .concat(['*.headers.authorization', '*.headers.cookie']);

/** Errors nest (a CleaveError's `cause`, an AggregateError's `errors`): scrub every level. */
function scrub(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = SECRET_KEYS.has(key.toLowerCase()) ? REDACTED : scrub(item, depth + 1);
  return out;
}

const errSerializer = (err: unknown) => scrub(pino.stdSerializers.err(err as Error));

/**
 * JSON lines (pino) with `service` on every line; `module` and `trace_id`/`span_id` are added by
 * child loggers where a request or module is known. Secrets are redacted at the logger,
 * whatever a call site passes: known secret members (`password`, tokens, `authorization`)
 * by pino's `redact`, and errors (with their causes) by a serializer that also drops the
 * SQL parameters drivers attach to them.
 */
export function createLogger(options: LoggerOptions): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? 'info';
  const config = {
    level,
    base: { service: options.service },
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    serializers: { err: errSerializer, error: errSerializer },
  };
  if (options.pretty) {
    // In the main thread (not a transport worker): a terminal is slow anyway, and a line
    // logged just before exit still appears. Required only for a terminal: production never loads it.
    const pinoPretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
    const stream = pinoPretty({ colorize: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l', singleLine: true, ...(options.destination ? { destination: options.destination } : {}) });
    return pino(config, stream);
  }
  return options.destination ? pino(config, options.destination) : pino(config);
}
