import type { Kysely } from 'kysely';
import { inboxCounts, listDeadLetters, outboxLag, replayDeadLetters } from '../events/dead-letters.ts';
import type { DeadLetter, InboxState } from '../events/dead-letters.ts';
import type { EventTables } from '../events/event-tables.ts';
import { listSagas, showSaga } from '../saga/saga-queries.ts';
import type { SagaDetail, SagaSummary } from '../saga/saga-queries.ts';
import type { SagaStatus, SagaTables } from '../saga/saga-tables.ts';
import { NO_JOBS } from './job-admin.ts';
import type { JobAdmin } from './job-admin.ts';

/** Dead letters shown per module: the oldest first, as many as a page can usefully hold. */
const DEAD_LETTERS_SHOWN = 200;

export type SubscriptionCounts = { readonly event: string } & Readonly<Record<InboxState, number>>;

/** One module's event delivery as the dashboard shows it. */
export interface ModuleEvents {
  readonly module: string;
  readonly service: string;
  readonly outboxLag: number;
  readonly oldestUnpublishedSeconds: number | null;
  readonly subscriptions: readonly SubscriptionCounts[];
  readonly deadLetters: readonly DeadLetter[];
}

/**
 * What the dashboard reads and does in the modules' own tables (events, sagas, jobs). The
 * service hosting a module answers for it (for jobs: the service running them): in
 * process for the gateway's own modules, over the internal listener for the others
 * (remote-module-admin.ts).
 */
export interface ModuleAdmin extends JobAdmin {
  /** The modules this admin answers for. */
  readonly modules: readonly string[];
  events(): Promise<ModuleEvents[]>;
  /** Back to the subscriber's handler; returns how many dead letters were replayed. */
  replay(module: string, eventIds: readonly string[]): Promise<number>;
  sagas(status: SagaStatus | undefined): Promise<SagaSummary[]>;
  saga(id: string): Promise<SagaDetail | undefined>;
}

/** A hosted module: its name and its database (every module has the event and saga tables). */
export interface HostedModule {
  readonly name: string;
  readonly db: Kysely<unknown>;
}

/**
 * The admin of the modules this process hosts, on their databases, and of the jobs it
 * runs (`jobs`). `replayed` is told which module got dead letters back, so its inbox
 * worker runs them now rather than at its next (backed-off) safety-net poll.
 */
export function localModuleAdmin(service: string, hosted: ReadonlyMap<string, HostedModule>, replayed: (module: string) => void = () => {}, jobs: JobAdmin = NO_JOBS): ModuleAdmin {
  const events = (m: HostedModule) => m.db as unknown as Kysely<EventTables>;
  const sagas = (m: HostedModule) => m.db as unknown as Kysely<SagaTables>;
  return {
    jobModules: jobs.jobModules,
    jobs: () => jobs.jobs(),
    retryJob: (module, id) => jobs.retryJob(module, id),
    runSchedule: (module, schedule) => jobs.runSchedule(module, schedule),
    modules: [...hosted.keys()],
    async events() {
      return Promise.all([...hosted.values()].map(async (m): Promise<ModuleEvents> => {
        const [lag, counts, letters] = await Promise.all([outboxLag(events(m)), inboxCounts(events(m)), listDeadLetters(m.name, events(m))]);
        const byEvent = new Map<string, Record<InboxState, number>>();
        for (const c of counts) {
          const entry = byEvent.get(c.name) ?? { pending: 0, retrying: 0, done: 0, dead: 0 };
          entry[c.state] += c.count;
          byEvent.set(c.name, entry);
        }
        return {
          module: m.name,
          service,
          ...lag,
          subscriptions: [...byEvent].map(([event, c]) => ({ event, ...c })),
          deadLetters: letters.slice(0, DEAD_LETTERS_SHOWN),
        };
      }));
    },
    async replay(module, eventIds) {
      const m = hosted.get(module);
      if (m === undefined) return 0;
      const count = await replayDeadLetters(events(m), eventIds);
      if (count > 0) replayed(module);
      return count;
    },
    async sagas(status) {
      const lists = await Promise.all([...hosted.values()].map((m) => listSagas(m.name, sagas(m), status)));
      return lists.flat();
    },
    async saga(id) {
      for (const m of hosted.values()) {
        const found = await showSaga(m.name, sagas(m), id);
        if (found) return found;
      }
      return undefined;
    },
  };
}
