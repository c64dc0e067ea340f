import { jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { ModuleDatabases } from './module-databases.ts';

export { ModuleDatabases };

/** What the app subscribes to: the subscribing module and the users event it takes in. */
export const SUBSCRIPTIONS = [
  { module: 'posts', event: 'user.updated.v1' },
  { module: 'notifications', event: 'user.created.v1' },
] as const;

export interface SubscriberState {
  readonly event: string;
  /** Distinct event ids of this name in users.outbox. */
  readonly published: number;
  readonly inbox: number;
  readonly byStatus: Readonly<Record<string, number>>;
  /** In the outbox, not (yet) in the inbox. */
  readonly missing: readonly string[];
  /** In the inbox, not in the outbox (must never happen). */
  readonly unexpected: readonly string[];
}

export interface PipelineState {
  /** users.outbox rows not yet accepted by the transport. */
  readonly unpublished: number;
  readonly subscribers: Readonly<Record<string, SubscriberState>>;
}

/** The event pipeline as the databases see it: publisher outbox vs. each subscriber's inbox. */
export async function auditPipeline(dbs: ModuleDatabases): Promise<PipelineState> {
  const [unpublished] = await dbs.rows<{ n: string }>('users', `select count(*) as n from users.outbox where published_at is null`);
  const subscribers: Record<string, SubscriberState> = {};
  for (const { module, event } of SUBSCRIPTIONS) {
    const published = new Set((await dbs.rows<{ id: string }>('users', `select distinct id from users.outbox where name = $1`, [event])).map((r) => r.id));
    const inboxRows = await dbs.rows<{ event_id: string; status: string }>(module, `select event_id, status from ${module}.inbox where publisher = 'users' and name = $1`, [event]);
    const byStatus: Record<string, number> = {};
    for (const r of inboxRows) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
    const inInbox = new Set(inboxRows.map((r) => r.event_id));
    subscribers[module] = {
      event,
      published: published.size,
      inbox: inboxRows.length,
      byStatus,
      missing: [...published].filter((id) => !inInbox.has(id)),
      unexpected: [...inInbox].filter((id) => !published.has(id)),
    };
  }
  return { unpublished: Number(unpublished?.n ?? 0), subscribers };
}

/** Everything published reached every subscriber's inbox and nothing waits there. */
export function isDrained(state: PipelineState): boolean {
  return state.unpublished === 0 && Object.values(state.subscribers).every((s) => s.missing.length === 0 && (s.byStatus.pending ?? 0) === 0);
}

/** A short summary of a pipeline state for logs and failure messages. */
export function describePipeline(state: PipelineState): string {
  const subs = Object.entries(state.subscribers).map(([m, s]) =>
    `${m}: ${s.inbox}/${s.published} ${s.event} in inbox ${JSON.stringify(s.byStatus)}, ${s.missing.length} missing, ${s.unexpected.length} unexpected`);
  return `outbox unpublished ${state.unpublished}; ${subs.join('; ')}`;
}

export interface ConsumerState {
  /** The stream position the subscriber stored with its inbox rows. */
  readonly stored: number;
  /** The last sequence of the publisher's events in the stream. */
  readonly last: number;
}

/**
 * Whether the subscribers have read the stream to its end: each stores its position with
 * its inbox rows (nats-transport.ts), so "nothing left to deliver" is position = last seq.
 */
export class NatsConsumers {
  private constructor(private readonly nc: NatsConnection, private readonly jsm: JetStreamManager, private readonly namespace: string, private readonly dbs: ModuleDatabases) {}

  static async open(url: string, namespace: string, dbs: ModuleDatabases): Promise<NatsConsumers> {
    const nc = await connect({ servers: url });
    return new NatsConsumers(nc, await jetstreamManager(nc), namespace, dbs);
  }

  async state(module: string, publisher = 'users'): Promise<ConsumerState> {
    const stream = `cleave_${this.namespace}`;
    const [row] = await this.dbs.rows<{ position: string }>(module, `select position from ${module}.inbox_cursors where source = $1`, [`nats:${stream}:${publisher}`]);
    return { stored: Number(row?.position ?? 0), last: await this.#lastOf(stream, publisher) };
  }

  /**
   * The last sequence of the publisher's subjects, not of the stream: other publishers
   * (orders) share the stream, and a reader of users never reaches their sequences.
   * Per subject, as NATS 2.9 has no last-message lookup by wildcard.
   */
  async #lastOf(stream: string, publisher: string): Promise<number> {
    const info = await this.jsm.streams.info(stream, { subjects_filter: `cleave.${this.namespace}.${publisher}.>` });
    let last = 0;
    for (const subject of Object.keys(info.state.subjects ?? {})) {
      const message = await this.jsm.streams.getMessage(stream, { last_by_subj: subject });
      if (message) last = Math.max(last, message.seq);
    }
    return last;
  }

  async idle(): Promise<boolean> {
    for (const { module } of SUBSCRIPTIONS) {
      const s = await this.state(module);
      if (s.stored < s.last) return false;
    }
    return true;
  }

  async close(): Promise<void> {
    await this.nc.close();
  }
}

/**
 * Why an author's posts show a stale name: that author's user.updated.v1 events in
 * posts.inbox, in the order posts handled them. An event handled after one with a higher
 * seq (the publisher's order) reached the inbox out of order. Times are reported after
 * the first higher-seq event reached the inbox, and after `reference` (e.g. a kill).
 */
export async function explainOutOfOrder(dbs: ModuleDatabases, authors: readonly { label: string; userId: string }[], reference: { label: string; at: number }): Promise<string> {
  const lines: string[] = [];
  for (const { label, userId } of authors) {
    const rows = await dbs.rows<{ seq: string; name: string; received_at: Date; handled_at: Date }>('posts',
      `select seq, payload->>'name' as name, received_at, handled_at from posts.inbox where aggregate_key = $1 order by handled_at, seq`, [userId]);
    const late: { seq: number; name: string; lateByMs: number; atMs: number }[] = [];
    rows.forEach((r, i) => {
      const newer = rows.slice(0, i).filter((b) => Number(b.seq) > Number(r.seq));
      if (newer.length === 0) return;
      const received = r.received_at.getTime();
      late.push({ seq: Number(r.seq), name: r.name, lateByMs: received - Math.min(...newer.map((b) => b.received_at.getTime())), atMs: received - reference.at });
    });
    const last = rows.at(-1);
    const range = (f: (l: (typeof late)[number]) => number) => `${Math.min(...late.map(f))}..${Math.max(...late.map(f))}`;
    lines.push(`  ${label}: ${rows.length} events; handled last: seq ${last?.seq} "${last?.name}", highest seq ${Math.max(...rows.map((r) => Number(r.seq)))}; ` +
      (late.length === 0
        ? 'none out of order'
        : `${late.length} handled after a higher seq: seq ${late[0]!.seq}..${late.at(-1)!.seq} ("${late[0]!.name}".."${late.at(-1)!.name}"), ` +
          `reached the inbox ${range((l) => l.lateByMs)} ms after the first higher-seq event, ${range((l) => l.atMs)} ms after ${reference.label}`));
  }
  return lines.join('\n');
}

/**
 * How many user.updated.v1 events posts handled after a newer event (higher seq) of the
 * same author: each is an out-of-order delivery that a handler had to survive.
 */
export async function countOutOfOrder(dbs: ModuleDatabases): Promise<{ events: number; authors: number }> {
  const [row] = await dbs.rows<{ events: string; authors: string }>('posts', `
    select count(*) as events, count(distinct a.aggregate_key) as authors from posts.inbox a
    where a.name = 'user.updated.v1' and exists (
      select 1 from posts.inbox b
      where b.publisher = a.publisher and b.aggregate_key = a.aggregate_key and b.seq > a.seq and b.handled_at < a.handled_at)`);
  return { events: Number(row?.events ?? 0), authors: Number(row?.authors ?? 0) };
}
