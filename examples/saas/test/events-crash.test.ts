import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from './support/client.ts';
import { auditPipeline, countOutOfOrder, describePipeline, isDrained, ModuleDatabases } from './support/event-audit.ts';
import type { PipelineState } from './support/event-audit.ts';
import { natsNamespace } from './support/nats.ts';
import { brokers } from './support/brokers.ts';
import type { BrokerProbe } from './support/brokers.ts';
import { expectInboxesComplete, signUpAuthors, stalePosts, welcomeEmails } from './support/renamed-authors.ts';
import type { RenamedAuthor } from './support/renamed-authors.ts';
import { startSmtpSink } from './support/smtp-sink.ts';
import { startSplit } from './support/split-target.ts';
import type { SplitTarget } from './support/split-target.ts';
import { isReady, waitFor } from './support/wait-for.ts';

/**
 * The crash test of the event pipeline, in the split topology with a broker (NATS
 * JetStream, RabbitMQ quorum queues, or BullMQ queues on Redis) and a PostgreSQL database per module: while clients rename users (1,000 renames) and sign up
 * new ones, the publisher (users) and the subscribers (posts, notifications) are killed
 * with SIGKILL at random moments and restarted by the supervisor. Afterwards:
 *  - every post shows its author's latest successfully-set name (user.updated.v1, in order);
 *  - every signup has exactly one recorded welcome email (user.created.v1, exactly once);
 *  - every subscriber inbox holds exactly the events its publisher's outbox holds, all done.
 */

const postgresUrl = process.env.DATABASE_URL;


const USERS = 20;
const RENAMES = 1_000;
/** Client loops; each owns USERS / LOOPS users, so one user's renames are sequential. */
const LOOPS = 5;
/** Users signed up while the chaos runs (welcome emails are handled under crashes too). */
const LATE_SIGNUPS = 20;
const SERVICES = ['users', 'posts', 'notifications'] as const;
type Service = (typeof SERVICES)[number];
/** Kills per service the chaos aims for, and bounds on the chaos phase. */
const MIN_KILLS_EACH = 3;
const MAX_KILLS = 15;
const CHAOS_CAP_MS = 75_000;
/**
 * Renames that must succeed after a service is back before it may be killed again: a
 * service killed as soon as it is ready (while the gateway's breaker is still open)
 * would stall the load instead of crashing in the middle of it.
 */
const PROGRESS_BETWEEN_KILLS = 40;
/** A rename or signup that can't get through in this long fails the test. */
const OPERATION_DEADLINE_MS = 45_000;
/** Bound on how long the pipeline may take to drain after the last kill. */
const QUIESCENCE_TIMEOUT_MS = 90_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Failures {
  /** Failed attempts by status ('network' when fetch threw). */
  readonly byStatus: Record<string, number>;
  total: number;
}

const recordFailure = (f: Failures, status: string) => {
  f.byStatus[status] = (f.byStatus[status] ?? 0) + 1;
  f.total++;
};

/**
 * Runs `attempt` until it reports success; failed attempts (503 while a service is down,
 * a network error) are counted and retried after a short growing delay, so a client
 * doesn't spin into the rate limit while the gateway's breaker is open.
 */
async function untilOk(what: string, failures: Failures, attempt: () => Promise<number>, ok: number): Promise<void> {
  const deadline = Date.now() + OPERATION_DEADLINE_MS;
  for (let n = 0; ; n++) {
    let status: string;
    try {
      const code = await attempt();
      if (code === ok) return;
      status = String(code);
    } catch {
      status = 'network';
    }
    recordFailure(failures, status);
    if (Date.now() > deadline) throw new Error(`${what}: no success within ${OPERATION_DEADLINE_MS} ms (last: ${status})`);
    await sleep(Math.min(25 * 2 ** n, 1_000));
  }
}

for (const broker of brokers) describe.skipIf(!broker.url || !postgresUrl)(`events under crashes: SIGKILL of publisher and subscribers, split topology on ${broker.name} and PostgreSQL (needs DATABASE_URL and the ${broker.name} URL)`, () => {
  const brokerUrl = broker.url as string;
  let target: SplitTarget;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
  let dbs: ModuleDatabases;
  let probe: BrokerProbe;
  const namespace = natsNamespace('crash');

  beforeAll(async () => {
    smtp = await startSmtpSink();
    const startedAt = Date.now();
    target = await startSplit({
      postgresUrl,
      env: { ...broker.env(brokerUrl, namespace), SMTP_URL: smtp.url },
    });
    console.info(`[events-crash] split topology ready in ${Date.now() - startedAt} ms`);
    dbs = new ModuleDatabases(target.databaseUrls);
    probe = await broker.probe(brokerUrl, namespace, dbs);
  });

  afterAll(async () => {
    await probe?.close();
    await dbs?.close();
    await target?.stop();
    await smtp?.stop();
  });

  it('keeps author names in order, one welcome email per user, and loses no event', async () => {
    const t0 = Date.now();
    const failures: Failures = { byStatus: {}, total: 0 };

    const users = await signUpAuthors(target.baseUrl, USERS);
    const emails = new Set(users.map((u) => u.session.email));
    console.info(`[events-crash] ${USERS} users and ${users.reduce((n, u) => n + u.postIds.length, 0)} posts in ${Date.now() - t0} ms`);

    // The load: renames from LOOPS concurrent loops, and signups from one more.
    let renamesDone = 0;
    let signupsDone = 0;
    const perUser = RENAMES / USERS;
    const renameLoop = async (group: RenamedAuthor[]) => {
      for (let k = 0; k < perUser; k++) {
        for (const u of group) {
          const name = `name-${u.index}-${k}`;
          await untilOk(`rename ${name}`, failures, async () =>
            (await u.client.request('/api/v1/users/me', { method: 'PATCH', token: u.session.accessToken, body: { name } })).status, 200);
          u.latest = name;
          renamesDone++;
        }
      }
    };
    const signupLoop = async () => {
      for (let i = 0; i < LATE_SIGNUPS; i++) {
        await untilOk(`late signup ${i}`, failures, async () => {
          // A fresh address and email per attempt: a signup that failed may still have committed.
          const client = new ApiClient(target.baseUrl);
          const email = `late-${i}-${randomUUID()}@example.com`;
          const res = await client.request('/api/v1/auth/signup', { body: { email, password: `pw-${randomUUID()}`, name: `late-${i}` } });
          if (res.status === 201) emails.add(email);
          return res.status;
        }, 201);
        signupsDone++;
      }
    };
    const loadStartedAt = Date.now();
    let loadDoneAt = 0;
    const load = Promise.all([
      ...Array.from({ length: LOOPS }, (_, g) => renameLoop(users.filter((u) => u.index % LOOPS === g))),
      signupLoop(),
    ]).finally(() => (loadDoneAt = Date.now()));
    let loadFailed: unknown;
    load.catch((err: unknown) => (loadFailed = err));

    // The chaos: every 300-800 ms, SIGKILL one of the services not already restarting.
    const kills: Record<Service, number> = { users: 0, posts: 0, notifications: 0 };
    const restartMs: Record<Service, number[]> = { users: [], posts: [], notifications: [] };
    const killLog: string[] = [];
    const postsKills: number[] = [];
    const restarting = new Map<Service, Promise<void>>();
    const renamesWhenUp: Record<Service, number> = { users: 0, posts: 0, notifications: 0 };
    const totalKills = () => SERVICES.reduce((n, s) => n + kills[s], 0);
    const chaosDeadline = Date.now() + CHAOS_CAP_MS;
    let lastKillAt = 0;
    while (Date.now() < chaosDeadline && totalKills() < MAX_KILLS && loadFailed === undefined) {
      if (loadDoneAt !== 0 && SERVICES.every((s) => kills[s] >= MIN_KILLS_EACH)) break;
      await sleep(300 + Math.random() * 500);
      const candidates = SERVICES.filter((s) => !restarting.has(s) &&
        (loadDoneAt === 0 ? renamesDone - renamesWhenUp[s] >= PROGRESS_BETWEEN_KILLS : kills[s] < MIN_KILLS_EACH));
      if (candidates.length === 0) continue;
      const service = candidates[Math.floor(Math.random() * candidates.length)]!;
      const pid = await target.pidOf(service);
      process.kill(pid, 'SIGKILL');
      const killedAt = Date.now();
      lastKillAt = killedAt;
      kills[service]++;
      if (service === 'posts') postsKills.push(killedAt);
      killLog.push(`${service}@${killedAt - loadStartedAt}ms(renames ${renamesDone})`);
      restarting.set(service, waitFor(`${service} to restart after SIGKILL of pid ${pid}`, async () =>
        (await target.pidOf(service)) !== pid && (await isReady(target.services[service]!)), 60_000, 50).then(() => {
        restartMs[service].push(Date.now() - killedAt);
        renamesWhenUp[service] = renamesDone;
        restarting.delete(service);
      }));
    }
    const chaosEndedAt = Date.now();
    await Promise.all(restarting.values());
    await load;
    const allUpAt = Date.now();
    console.info(`[events-crash] load: ${renamesDone} renames + ${signupsDone} signups in ${loadDoneAt - loadStartedAt} ms, ` +
      `${failures.total} failed attempts retried ${JSON.stringify(failures.byStatus)}`);
    console.info(`[events-crash] chaos: ${totalKills()} kills ${JSON.stringify(kills)} over ${chaosEndedAt - loadStartedAt} ms; ` +
      `restart ms ${JSON.stringify(restartMs)}; ${killLog.join(' ')}`);
    expect(renamesDone).toBe(RENAMES);
    expect(signupsDone).toBe(LATE_SIGNUPS);
    for (const s of SERVICES) expect(kills[s], `kills of ${s}`).toBeGreaterThanOrEqual(2);

    // Quiescence: the outbox drained, the broker has nothing left to (re)deliver, the inboxes
    // hold every published event and none waits.
    let state: PipelineState | undefined;
    try {
      await waitFor('the event pipeline to drain', async () => {
        state = await auditPipeline(dbs);
        return isDrained(state) && (await probe.idle());
      }, QUIESCENCE_TIMEOUT_MS, 250);
    } catch (err) {
      throw new Error(`${(err as Error).message}: ${state ? describePipeline(state) : 'no state'}; ` +
        `consumers posts ${JSON.stringify(await probe.state('posts'))}, notifications ${JSON.stringify(await probe.state('notifications'))}`, { cause: err });
    }
    const drainedAt = Date.now();
    const consumers = { posts: await probe.state('posts'), notifications: await probe.state('notifications') };
    console.info(`[events-crash] drained ${drainedAt - allUpAt} ms after all services were up (${drainedAt - lastKillAt} ms after the last kill): ` +
      `${describePipeline(state!)}; broker ${JSON.stringify(consumers)}`);

    // (1) Every post shows its author's latest name, and users agrees on that name.
    const stale = await stalePosts(dbs, users, {
      tag: '[events-crash]',
      reference: { label: `the load started (posts was killed at ${postsKills.map((t) => t - loadStartedAt).join(', ')} ms)`, at: loadStartedAt },
    }, true);
    const outOfOrder = await countOutOfOrder(dbs);
    console.info(`[events-crash] convergence: ${drainedAt - loadDoneAt} ms after the last rename; ${stale.length} stale posts; ` +
      `${outOfOrder.events} user.updated.v1 events of ${outOfOrder.authors} authors reached posts after a newer one (out-of-order redelivery)`);

    // (2) Exactly one recorded welcome email per user, and per user.created.v1 event.
    const welcome = await welcomeEmails(dbs, emails);

    // SMTP is at-least-once (a crash between send and commit resends, same Message-ID).
    const smtpTo = new Map<string, number>();
    for (const m of smtp.received) for (const to of m.to) smtpTo.set(to, (smtpTo.get(to) ?? 0) + 1);
    const distinctMessageIds = new Set(smtp.received.map((m) => m.messageId)).size;
    console.info(`[events-crash] email: ${emails.size} users (${welcome.addresses} addresses recorded, ${welcome.events} user.created.v1 events); ` +
      `SMTP received ${smtp.received.length} messages, ${distinctMessageIds} distinct Message-IDs, ${smtp.received.length - distinctMessageIds} duplicates at the SMTP level`);

    expect(welcome.wrongPerAddress, 'welcome emails recorded per signed-up address').toEqual([]);
    expect(welcome.addressesTwice, 'no address recorded twice').toEqual([]);
    expect(welcome.notOncePerEvent, 'one recorded email per user.created.v1').toEqual([]);
    expect([...emails].filter((e) => (smtpTo.get(e) ?? 0) < 1), 'every user got a welcome email over SMTP').toEqual([]);

    // (3) Inboxes: nothing stuck or dead, nothing lost, nothing extra.
    await expectInboxesComplete(dbs, state!);
    expect(state!.subscribers.posts!.published).toBeGreaterThanOrEqual(RENAMES);

    expect(stale, 'posts showing a name other than their author\'s latest').toEqual([]);
    console.info(`[events-crash] total ${Date.now() - t0} ms`);
  }, 240_000);
});

