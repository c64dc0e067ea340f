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

/**
 * JSON lines (pino) with `service` on every line; `module` and `traceId` are added by
 * child loggers where a request or module is known.
 */
export function createLogger(options: LoggerOptions): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? 'info';
  const base = { service: options.service };
  if (options.pretty) {
    // In the main thread (not a transport worker): a terminal is slow anyway, and a line
    // logged just before exit still appears.
    // Required only for a terminal: production never loads it.
    const pinoPretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
    const stream = pinoPretty({ colorize: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l', singleLine: true, ...(options.destination ? { destination: options.destination } : {}) });
    return pino({ level, base }, stream);
  }
  return options.destination
    ? pino({ level, base }, options.destination)
    : pino({ level, base });
}
