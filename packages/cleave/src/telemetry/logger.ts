import { pino } from 'pino';
import type { Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  readonly service: string;
  readonly level?: string;
  /** Where lines go; defaults to stdout. Tests pass a stream to read them back. */
  readonly destination?: NodeJS.WritableStream;
}

/**
 * JSON lines (pino) with `service` on every line; `module` and `trace_id`/`span_id` are added by
 * child loggers where a request or module is known.
 */
export function createLogger(options: LoggerOptions): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? 'info';
  const base = { service: options.service };
  return options.destination
    ? pino({ level, base }, options.destination)
    : pino({ level, base });
}
