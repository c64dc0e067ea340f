import { errors } from '../errors/framework-errors.ts';
import { headers } from '../http/http-protocol.ts';
import type { SagaDetail, SagaSummary } from '../saga/saga-queries.ts';
import { INTERNAL_ADMIN_PATH } from './internal-admin-api.ts';
import type { ModuleJobs } from './job-admin.ts';
import type { ModuleAdmin, ModuleEvents } from './module-admin.ts';

/** A dashboard read must not hang the page on a service that does not answer. */
const TIMEOUT_MS = 5_000;

export interface RemoteServiceAdmin {
  readonly service: string;
  readonly modules: readonly string[];
  /** The modules whose jobs run there. */
  readonly jobModules: readonly string[];
  /** The service's internal base URL. */
  readonly url: string;
  /** A service token for that service (audience = it). */
  token(): Promise<string>;
}

/** The admin of the modules another service hosts, through its internal listener (internal-admin-api.ts). */
export function remoteModuleAdmin(target: RemoteServiceAdmin): ModuleAdmin {
  const request = async <T>(path: string, init: RequestInit = {}, missing?: T): Promise<T> => {
    let res: Response;
    try {
      res = await fetch(new URL(`${INTERNAL_ADMIN_PATH}${path}`, target.url), {
        ...init,
        headers: { ...(init.body ? { 'content-type': 'application/json' } : {}), [headers.authorization]: `Bearer ${await target.token()}` },
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (err) {
      throw errors.DEPENDENCY_UNAVAILABLE(`service "${target.service}" did not answer: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (res.status === 404 && missing !== undefined) return missing;
    if (!res.ok) throw errors.DEPENDENCY_UNAVAILABLE(`service "${target.service}" answered ${res.status}: ${(await res.text()).slice(0, 500)}`);
    return (await res.json()) as T;
  };
  return {
    modules: target.modules,
    events: async () => (await request<{ modules: ModuleEvents[] }>('/events')).modules,
    replay: async (module, eventIds) => (await request<{ replayed: number }>('/events/replay', { method: 'POST', body: JSON.stringify({ module, eventIds }) })).replayed,
    sagas: async (status) => (await request<{ sagas: SagaSummary[] }>(`/sagas${status ? `?status=${status}` : ''}`)).sagas,
    saga: async (id) => (await request<{ saga?: SagaDetail }>(`/sagas/${encodeURIComponent(id)}`, {}, {})).saga,
    jobModules: target.jobModules,
    jobs: async () => (await request<{ modules: ModuleJobs[] }>('/jobs')).modules,
    retryJob: async (module, id) => (await request<{ retried: boolean }>('/jobs/retry', { method: 'POST', body: JSON.stringify({ module, id }) })).retried,
    runSchedule: async (module, schedule) => (await request<{ run: { id: string; tick: string } | null }>('/jobs/run', { method: 'POST', body: JSON.stringify({ module, schedule }) })).run ?? undefined,
  };
}
