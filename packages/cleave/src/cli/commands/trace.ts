import type { Command } from 'commander';
import { TRACES_API_PATH } from '../../dashboard/trace-api.ts';
import type { StoredSpan, TraceSummary } from '../../telemetry/span-store.ts';
import { formatWaterfall, waterfall } from '../../telemetry/waterfall.ts';

interface TraceOptions {
  readonly last?: boolean;
  readonly slowest?: boolean;
  readonly json?: boolean;
  readonly url?: string;
  readonly token?: string;
}

/**
 * `cleave trace <traceId> | --last | --slowest [--json]`: one request's whole waterfall
 * across services, read from the running gateway's span store (the embedded default;
 * with a collector configured, the same spans are in the collector too).
 */
export function registerTrace(program: Command): void {
  program
    .command('trace')
    .description("print a request's spans across every service as a waterfall (from the running gateway)")
    .argument('[traceId]', 'the X-Trace-ID of a response (or a saga id)')
    .option('--last', 'the most recent trace')
    .option('--slowest', 'the slowest recent trace')
    .option('--json', 'print JSON (the spans, with depth and offset)')
    .option('--url <url>', "the gateway's URL (default CLEAVE_URL, else http://127.0.0.1:$PORT, else port 3000)")
    .option('--token <token>', 'admin token outside development (default CLEAVE_ADMIN_TOKEN)')
    .action(async (traceId: string | undefined, options: TraceOptions) => {
      const base = (options.url ?? process.env.CLEAVE_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`).replace(/\/$/, '');
      const token = options.token ?? process.env.CLEAVE_ADMIN_TOKEN;
      const get = async <T>(path: string): Promise<T> => {
        let res: Response;
        try {
          res = await fetch(base + path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
        } catch (err) {
          throw new Error(`no gateway answers at ${base} (${err instanceof Error ? err.message : String(err)}); start the system or pass --url`, { cause: err });
        }
        const body = (await res.json().catch(() => undefined)) as (T & { detail?: string }) | undefined;
        if (!res.ok) throw new Error(`${base}${path}: HTTP ${res.status}${body?.detail ? ` — ${body.detail}` : ''}`);
        return body as T;
      };
      let id = traceId;
      if (id === undefined) {
        if (!options.last && !options.slowest) throw new Error('name a trace id, or pass --last or --slowest');
        const { traces } = await get<{ traces: TraceSummary[] }>(`${TRACES_API_PATH}?limit=1&order=${options.slowest ? 'slowest' : 'recent'}`);
        if (traces.length === 0) throw new Error('the gateway has no traces yet');
        id = traces[0]!.traceId;
      }
      const { traceId: found, spans } = await get<{ traceId: string; spans: StoredSpan[] }>(`${TRACES_API_PATH}/${encodeURIComponent(id)}`);
      if (options.json) {
        console.log(JSON.stringify({ traceId: found, spans: waterfall(spans).map(({ span, depth, offsetMs }) => ({ ...span, depth, offsetMs })) }, null, 2));
      } else {
        console.log(formatWaterfall(found, spans));
      }
    });
}
