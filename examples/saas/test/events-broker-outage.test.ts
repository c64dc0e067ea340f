import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from './support/client.ts';
import { auditPipeline, countOutOfOrder, describePipeline, isDrained, ModuleDatabases } from './support/event-audit.ts';
import type { PipelineState } from './support/event-audit.ts';
import { brokers } from './support/brokers.ts';
import type { BrokerProbe, OwnServer } from './support/brokers.ts';
import { natsNamespace } from './support/nats.ts';
import { expectInboxesComplete, signUpAuthors, stalePosts, welcomeEmails } from './support/renamed-authors.ts';
import type { RenamedAuthor } from './support/renamed-authors.ts';
import { startSmtpSink } from './support/smtp-sink.ts';
import { startSplit } from './support/split-target.ts';
import type { SplitTarget } from './support/split-target.ts';
import { waitFor } from './support/wait-for.ts';

/**
 * A broker outage (NATS, RabbitMQ, Redis under BullMQ) while the app publishes, in the split topology on
 * PostgreSQL: the test runs its own broker server (the shared one serves others), stops it with SIGTERM in the
 * middle of a rename load, keeps renaming and signing up during the outage (both must
 * succeed: the outbox holds the events), then restarts it on the same port and store.
 * Nothing may be lost: the outbox drains, every post converges to its author's latest
 * name, every signup gets exactly one recorded welcome email.
 */

const postgresUrl = process.env.DATABASE_URL;

const USERS = 10;
const LOOPS = 5;
const RENAMES_BEFORE = 100;
/** Renames that must commit while the broker is down (the outage lasts as long as they take). */
const RENAMES_DURING = 300;
const SIGNUPS_DURING = 5;
const RENAMES_AFTER = 100;
/** Bound on how long the pipeline may take to drain after the outage. */
const QUIESCENCE_TIMEOUT_MS = 90_000;

type Phase = 'before' | 'outage' | 'after';

const titleOf = (name: string, installed: boolean) => installed
  ? `events across a ${name} outage: outbox holds, nothing lost, split topology on PostgreSQL (needs the ${name} URL and DATABASE_URL)`
  : `events across a ${name} outage: SKIPPED, its server is not installed (needs the ${name} URL and DATABASE_URL)`;

for (const broker of brokers) describe.skipIf(!broker.url || !postgresUrl || !broker.serverBin)(titleOf(broker.name, broker.serverBin !== undefined), () => {
  const tag = `[events-${broker.name.toLowerCase()}-outage]`;
  let server: OwnServer;
  let target: SplitTarget;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
  let dbs: ModuleDatabases;
  let consumers: BrokerProbe | undefined;
  const namespace = natsNamespace('outage');

  beforeAll(async () => {
    server = await broker.ownServer();
    const bootAt = Date.now();
    await server.start();
    const bootMs = Date.now() - bootAt;
    smtp = await startSmtpSink();
    const startedAt = Date.now();
    target = await startSplit({
      postgresUrl,
      env: { ...broker.env(server.url, namespace), SMTP_URL: smtp.url },
    });
    console.info(`${tag} own server at ${server.url} (booted in ${bootMs} ms); split topology ready in ${Date.now() - startedAt} ms`);
    dbs = new ModuleDatabases(target.databaseUrls);
  });

  afterAll(async () => {
    await consumers?.close();
    await dbs?.close();
    // stop() removes the test's stream, so the broker must be up for it.
    if (server && !server.running) await server.start().catch(() => undefined);
    await target?.stop();
    await smtp?.stop();
    await server?.remove();
  });

  it('keeps accepting writes while the broker is down and delivers every event once it is back', async () => {
    const t0 = Date.now();
    const users = await signUpAuthors(target.baseUrl, USERS);
    const emails = new Set(users.map((u) => u.session.email));

    // The load: renames until told to stop, counted by the phase they started in. No
    // service goes down here, so every request must succeed at the first attempt.
    let phase: Phase = 'before';
    let brokerBackAt: number | undefined;
    const renames: Record<Phase, number> = { before: 0, outage: 0, after: 0 };
    const failed: string[] = [];
    let stopLoad = false;
    const renameLoop = async (group: RenamedAuthor[]) => {
      for (let k = 0; !stopLoad; k++) {
        for (const u of group) {
          if (stopLoad) break;
          const name = `name-${u.index}-${k}`;
          const startedIn = phase;
          const res = await u.client.request('/api/v1/users/me', { method: 'PATCH', token: u.session.accessToken, body: { name } }).catch((err: unknown) => err);
          const status = (res as { status?: number }).status;
          if (status !== 200) {
            failed.push(`PATCH ${name} during ${startedIn}: ${status ?? String(res)}`);
            continue;
          }
          u.latest = name;
          renames[startedIn]++;
        }
      }
    };
    const load = Promise.all(Array.from({ length: LOOPS }, (_, g) => renameLoop(users.filter((u) => u.index % LOOPS === g))));
    try {
      await waitFor(`${RENAMES_BEFORE} renames before the outage`, () => renames.before >= RENAMES_BEFORE || failed.length > 0, 30_000, 20);

      // The outage.
      const outageAt = Date.now();
      await server.stop();
      phase = 'outage';
      const downAt = Date.now();
      for (let i = 0; i < SIGNUPS_DURING; i++) {
        const client = new ApiClient(target.baseUrl);
        const session = await client.signup(`outage-${i}`);
        emails.add(session.email);
      }
      await waitFor(`${RENAMES_DURING} renames during the outage`, () => renames.outage >= RENAMES_DURING || failed.length > 0, 60_000, 20);
      const [held] = await dbs.rows<{ n: string }>('users', 'select count(*) as n from users.outbox where published_at is null');
      phase = 'after';
      const restartAt = Date.now();
      await server.start();
      const upAt = Date.now();
      brokerBackAt = upAt;
      console.info(`${tag} broker down ${upAt - downAt} ms (SIGTERM took ${downAt - outageAt} ms, restart ${upAt - restartAt} ms); ` +
        `during it: ${renames.outage} renames and ${SIGNUPS_DURING} signups committed, ${held?.n} events held in users.outbox`);
      expect(Number(held?.n), 'events held in the outbox during the outage').toBeGreaterThanOrEqual(renames.outage + SIGNUPS_DURING);

      await waitFor(`${RENAMES_AFTER} renames after the outage`, () => renames.after >= RENAMES_AFTER || failed.length > 0, 30_000, 20);
    } finally {
      stopLoad = true;
      await load;
    }
    const loadDoneAt = Date.now();
    console.info(`${tag} renames ${JSON.stringify(renames)}; ${failed.length} failed requests`);
    expect(failed, 'requests that failed (no service was down)').toEqual([]);

    // Quiescence: outbox drained, the broker has nothing left to (re)deliver, inboxes complete.
    consumers = await broker.probe(server.url, namespace, dbs);
    let state: PipelineState | undefined;
    try {
      await waitFor('the event pipeline to drain', async () => {
        state = await auditPipeline(dbs);
        return isDrained(state) && (await consumers!.idle());
      }, QUIESCENCE_TIMEOUT_MS, 250);
    } catch (err) {
      throw new Error(`${(err as Error).message}: ${state ? describePipeline(state) : 'no state'}; ` +
        `consumers posts ${JSON.stringify(await consumers.state('posts').catch(String))}, notifications ${JSON.stringify(await consumers.state('notifications').catch(String))}`, { cause: err });
    }
    const drainedAt = Date.now();
    console.info(`${tag} drained ${drainedAt - loadDoneAt} ms after the load stopped: ${describePipeline(state!)}`);

    // Outbox drained; every post shows the latest name.
    const [unpublished] = await dbs.rows<{ n: string }>('users', 'select count(*) as n from users.outbox where published_at is null');
    expect(Number(unpublished?.n)).toBe(0);
    const stale = await stalePosts(dbs, users, { tag, reference: { label: 'the broker came back', at: brokerBackAt ?? Date.now() } });

    // Exactly one recorded welcome email per signup, and per user.created.v1 event.
    const welcome = await welcomeEmails(dbs, emails);
    const distinctMessageIds = new Set(smtp.received.map((m) => m.messageId)).size;
    const outOfOrder = await countOutOfOrder(dbs);
    console.info(`${tag} ${stale.length} stale posts (${outOfOrder.events} user.updated.v1 events of ${outOfOrder.authors} authors reached posts after a newer one); email: ${emails.size} users, ${welcome.addresses} addresses recorded; ` +
      `SMTP received ${smtp.received.length} (${smtp.received.length - distinctMessageIds} duplicates); total ${Date.now() - t0} ms`);

    expect(welcome.wrongPerAddress, 'welcome emails recorded per address').toEqual([]);
    expect(welcome.notOncePerEvent, 'one recorded email per user.created.v1').toEqual([]);
    expect([...emails].filter((e) => !smtp.received.some((m) => m.to.includes(e))), 'every user got a welcome email over SMTP').toEqual([]);
    await expectInboxesComplete(dbs, state!);
    expect(stale, 'posts showing a name other than their author\'s latest').toEqual([]);
  }, 240_000);
});
