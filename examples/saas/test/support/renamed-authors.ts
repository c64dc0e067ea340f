import { expect } from 'vitest';
import { ApiClient } from './client.ts';
import type { Session } from './client.ts';
import { explainOutOfOrder } from './event-audit.ts';
import type { ModuleDatabases, PipelineState } from './event-audit.ts';
import { waitFor } from './wait-for.ts';

/** A user of the event crash tests: renamed by the load, with posts that must follow the name. */
export interface RenamedAuthor {
  readonly index: number;
  readonly session: Session;
  readonly client: ApiClient;
  readonly postIds: string[];
  /** The last name a PATCH answered 200 for. */
  latest: string;
}

/**
 * `count` users, each with 1-2 posts. A client (and so a source address) per user: the
 * auth routes allow 20 requests per minute per address.
 */
export async function signUpAuthors(baseUrl: string, count: number): Promise<RenamedAuthor[]> {
  const users: RenamedAuthor[] = [];
  for (let index = 0; index < count; index++) {
    const client = new ApiClient(baseUrl);
    const session = await client.signup(`name-${index}-initial`);
    const postIds: string[] = [];
    for (let p = 0; p < 1 + (index % 2); p++) {
      const res = await client.request('/api/v1/posts', { token: session.accessToken, body: { title: `post ${p} of ${index}`, body: 'b' } });
      expect(res.status).toBe(201);
      postIds.push(res.body.id);
    }
    users.push({ index, session, client, postIds, latest: session.name });
  }
  return users;
}

/**
 * Posts (read through the API) that show a name other than their author's latest, each
 * author having all its posts; with `checkUsers`, users' own record must hold that name too.
 * When some are stale, logs why (the order the posts inbox handled the renames in).
 */
export async function stalePosts(dbs: ModuleDatabases, users: readonly RenamedAuthor[], log: { tag: string; reference: { label: string; at: number } }, checkUsers = false): Promise<string[]> {
  const stale: string[] = [];
  for (const u of users) {
    if (checkUsers) {
      const me = await u.client.request('/api/v1/users/me', { token: u.session.accessToken });
      expect(me.status).toBe(200);
      expect(me.body.name, `users' own record of user ${u.index}`).toBe(u.latest);
    }
    const page = await u.client.request(`/api/v1/posts?authorId=${u.session.userId}&limit=100`, { token: u.session.accessToken });
    expect(page.status).toBe(200);
    expect(page.body.items).toHaveLength(u.postIds.length);
    for (const p of page.body.items as { id: string; authorName: string }[]) {
      if (p.authorName !== u.latest) stale.push(`user ${u.index} (${u.session.userId}) post ${p.id}: "${p.authorName}", expected "${u.latest}"`);
    }
  }
  if (stale.length > 0) {
    const staleUsers = users.filter((u) => stale.some((line) => line.startsWith(`user ${u.index} `)));
    console.error(`${log.tag} STALE author names:\n  ${stale.join('\n  ')}\n` +
      await explainOutOfOrder(dbs, staleUsers.slice(0, 5).map((u) => ({ label: `user ${u.index}`, userId: u.session.userId })), log.reference));
  }
  return stale;
}

/** Welcome emails as notifications recorded them: per signed-up address, and per user.created.v1 event. */
export async function welcomeEmails(dbs: ModuleDatabases, emails: ReadonlySet<string>): Promise<{
  /** Addresses recorded, and user.created.v1 events published. */
  readonly addresses: number;
  readonly events: number;
  /** Signed-up addresses without exactly one email, and any address recorded more than once. */
  readonly wrongPerAddress: string[];
  readonly addressesTwice: string[];
  readonly notOncePerEvent: string[];
}> {
  await welcomeJobsDone(dbs);
  const sent = await dbs.rows<{ to_address: string; count: string }>('notifications', 'select to_address, count(*) as count from notifications.sent_emails group by 1');
  const sentTo = new Map(sent.map((r) => [r.to_address, Number(r.count)]));
  const [created] = await dbs.rows<{ n: string }>('users', `select count(*) as n from users.outbox where name = 'user.created.v1'`);
  return {
    addresses: sent.length,
    events: Number(created?.n ?? 0),
    wrongPerAddress: [...emails].filter((e) => sentTo.get(e) !== 1).map((e) => `${e}: ${sentTo.get(e) ?? 0}`),
    addressesTwice: [...sentTo].filter(([, n]) => n !== 1).map(([e, n]) => `${e}: ${n}`),
    notOncePerEvent: await welcomeEmailsNotOnce(dbs),
  };
}

/**
 * Welcome emails are a job of notifications (run by the worker service in split): the
 * inbox having drained says the jobs were enqueued, not that they ran. Waits until none
 * is pending or running.
 */
export async function welcomeJobsDone(dbs: ModuleDatabases): Promise<void> {
  await waitFor('the welcome-email jobs to have run', async () => {
    const [open] = await dbs.rows<{ n: string }>('notifications', `select count(*) as n from notifications.jobs where name = 'sendWelcomeEmail' and status in ('pending', 'running')`);
    return Number(open?.n) === 0;
  }, 60_000, 200);
}

/** Exactly one recorded welcome email per user.created.v1 event (the subscriber's effect, once). */
export async function welcomeEmailsNotOnce(dbs: ModuleDatabases): Promise<string[]> {
  await welcomeJobsDone(dbs);
  const created = await dbs.rows<{ id: string }>('users', `select id from users.outbox where name = 'user.created.v1'`);
  const causes = await dbs.rows<{ caused_by: string; n: string }>('notifications', 'select caused_by, count(*) as n from notifications.sent_emails group by 1');
  const byCause = new Map(causes.map((r) => [r.caused_by, Number(r.n)]));
  return created.filter((c) => byCause.get(c.id) !== 1).map((c) => `${c.id}: ${byCause.get(c.id) ?? 0} emails`);
}

/** Inboxes after the pipeline drained: nothing pending, failed or dead; exactly the published events, none missing or extra. */
export async function expectInboxesComplete(dbs: ModuleDatabases, state: PipelineState): Promise<void> {
  for (const module of ['posts', 'notifications']) {
    const [notDone] = await dbs.rows<{ n: string }>(module, `select count(*) as n from ${module}.inbox where status <> 'done'`);
    expect(Number(notDone?.n), `${module}.inbox rows not done`).toBe(0);
    const s = state.subscribers[module]!;
    expect(s.inbox, `${module}.inbox rows vs distinct ${s.event} ids in users.outbox`).toBe(s.published);
    expect(s.missing).toEqual([]);
    expect(s.unexpected).toEqual([]);
  }
}
