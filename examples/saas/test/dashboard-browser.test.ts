import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from './support/client.ts';
import type { Session } from './support/client.ts';
import { ModuleDatabases } from './support/module-databases.ts';
import { startSplit } from './support/split-target.ts';
import type { SplitTarget } from './support/split-target.ts';
import { startMonolith } from './support/target.ts';
import type { Target } from './support/target.ts';
import { waitFor } from './support/wait-for.ts';

const chromiumPath = process.env.CHROMIUM_PATH;
const postgresUrl = process.env.DATABASE_URL;
const artifacts = resolve(import.meta.dirname, '../../../test-artifacts/dashboard');
const bootTimeout = Number(process.env.CLEAVE_TEST_BOOT_TIMEOUT_MS ?? 120_000) + 30_000;

/** A page that records every console error and uncaught exception: the dashboard must have none. */
async function openPage(browser: Browser): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  return { page, problems };
}

const shot = (page: Page, name: string) => page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });

/** Traffic through the public API: a signup, a post, a paid order and a declined one (its saga compensates). */
async function traffic(baseUrl: string): Promise<{ client: ApiClient; session: Session; postId: string; traceId: string; failedOrder: string }> {
  const client = new ApiClient(baseUrl);
  const session = await client.signup('Dashboard Reader');
  const post = await client.request('/api/v1/posts', { token: session.accessToken, body: { title: 'Seen on the map', body: 'hello' } });
  expect(post.status).toBe(201);
  const read = await client.request(`/api/v1/posts/${post.body.id}`, { token: session.accessToken });
  expect(read.status).toBe(200);
  const order = (paymentToken: string) => client.request('/api/v1/orders', { token: session.accessToken, body: { items: [{ productId: 'prod_mouse', quantity: 1 }], paymentToken }, headers: { 'idempotency-key': randomUUID() } });
  expect((await order('tok_visa')).status).toBe(202);
  const declined = await order('tok_chargeDeclined');
  expect(declined.status).toBe(202);
  await waitFor('the declined order to fail', async () => (await client.request(`/api/v1/orders/${declined.body.orderId}`, { token: session.accessToken })).body.status === 'failed', 30_000, 50);
  return { client, session, postId: post.body.id, traceId: read.headers.get('x-trace-id') as string, failedOrder: declined.body.orderId };
}

/** The pages every topology shows; returns the console problems seen. */
async function browseCommonPages(browser: Browser, baseUrl: string, name: string, seen: { traceId: string; services: string[]; modules: string[] }): Promise<string[]> {
  const { page, problems } = await openPage(browser);
  await page.goto(`${baseUrl}/_cleave/`);
  // The map: every module is a node, and the observed calls are edges.
  for (const module of seen.modules) await page.locator(`svg g.node[data-module="${module}"]`).waitFor();
  await expect.poll(() => page.locator('#edges tbody tr').count()).toBeGreaterThan(0);
  const edges = await page.locator('#edges tbody tr').allInnerTexts();
  expect(edges.some((row) => /^gateway\tposts\tcall/.test(row)), edges.join('\n')).toBe(true);
  expect(edges.some((row) => /^posts\tusers\tcall/.test(row)), edges.join('\n')).toBe(true);
  await shot(page, `${name}-map`);

  // The trace list has the request's trace; the search opens its waterfall.
  await page.click('nav a[data-page=traces]');
  await page.locator(`#traces a:text("${seen.traceId}")`).waitFor();
  await shot(page, `${name}-traces`);
  await page.fill('input[name=traceId]', seen.traceId.toUpperCase());
  await page.click('form.search button');
  await expect.poll(() => page.locator('#trace-id').textContent()).toBe(seen.traceId);
  const services = await page.locator('#waterfall tbody td.service').allTextContents();
  expect(new Set(services)).toEqual(new Set(seen.services));
  await shot(page, `${name}-waterfall`);
  await page.close();
  return problems;
}

/**
 * The jobs page: the reference app's queues (each with the service running it) and the
 * dailyDigest schedule; Run now enqueues a tick job that then shows up, run, in the recent jobs.
 */
async function browseJobsPage(page: Page, baseUrl: string, name: string, runsIn: { notifications: string; posts: string }): Promise<void> {
  await page.goto(`${baseUrl}/_cleave/jobs`);
  const queue = (q: string) => page.locator('#queues tbody tr', { hasText: q }).first();
  await queue('sendWelcomeEmail').waitFor();
  expect(await queue('sendWelcomeEmail').innerText()).toMatch(new RegExp(`^notifications\t${runsIn.notifications}\tsendWelcomeEmail\tsendWelcomeEmail\t`));
  expect(await queue('sendDigest').innerText()).toMatch(new RegExp(`^notifications\t${runsIn.notifications}\tsendDigest\t`));
  expect(await queue('publishPost').innerText()).toMatch(new RegExp(`^posts\t${runsIn.posts}\tpublishPost\t`));
  const schedule = page.locator('#schedules tbody tr', { hasText: 'dailyDigest' });
  expect(await schedule.innerText()).toMatch(/^notifications\tdailyDigest\t0 8 \* \* \*\tUTC\t/);
  await shot(page, `${name}-jobs`);
  await schedule.locator('button.run-now').click();
  await expect.poll(() => page.locator('#jobs-status').textContent()).toMatch(/^notifications\.dailyDigest enqueued for \S+ as job \S+\.$/);
  const [, tick, jobId] = /enqueued for (\S+) as job (\S+)\.$/.exec((await page.locator('#jobs-status').textContent()) ?? '') as RegExpExecArray;
  // The tick job, keyed apart from the cron ticks, run by the module's worker (woken by the page).
  await expect.poll(async () => {
    await page.click('#refresh');
    const row = page.locator('#recent-jobs tbody tr', { hasText: jobId as string });
    return (await row.count()) > 0 ? row.innerText() : '';
  }, { timeout: 30_000, interval: 500 }).toMatch(new RegExp(`^${jobId}\tnotifications\tdailyDigest\tdone\t1/5\tmanual:${tick}\t`));
  await shot(page, `${name}-jobs-run-now`);
}

describe.skipIf(!chromiumPath || !postgresUrl)('dashboard in Chromium (needs CHROMIUM_PATH, DATABASE_URL)', () => {
  let browser: Browser;
  beforeAll(async () => {
    await mkdir(artifacts, { recursive: true });
    browser = await chromium.launch({ executablePath: chromiumPath as string, args: ['--no-sandbox'] });
  });
  afterAll(() => browser?.close());

  describe('split topology: one process per service, the gateway asks the owners', () => {
    let target: SplitTarget;
    let dbs: ModuleDatabases;
    beforeAll(async () => {
      target = await startSplit({ postgresUrl, env: { CLEAVE_EVENTS: 'http', OTEL_BSP_SCHEDULE_DELAY: '100' } });
      dbs = new ModuleDatabases(target.databaseUrls);
    }, bootTimeout);
    afterAll(async () => {
      await dbs?.close();
      await target?.stop();
    });

    it('every page shows the live system; a dead letter replayed and a dead job retried from the page reach their handlers', async () => {
      const seen = await traffic(target.baseUrl);
      // A dead letter in posts (hosted by the posts service): a rename of this user that failed every attempt.
      const eventId = randomUUID();
      await dbs.rows('posts', `insert into posts.inbox (event_id, publisher, name, aggregate_key, seq, payload, status, attempts, last_error)
        values ($1, 'users', 'user.updated.v1', $2, 1000000000000, $3, 'dead', 5, 'connection reset (the test made this one)')`,
      [eventId, seen.session.userId, JSON.stringify({ userId: seen.session.userId, name: 'Renamed By Replay' })]);
      // The services send their spans to the gateway's store in batches: wait for all three.
      await waitFor('the trace from every service in the gateway store', async () => {
        const res = await fetch(`${target.baseUrl}/_cleave/api/traces/${seen.traceId}`);
        const spans = res.status === 200 ? ((await res.json()) as { spans: { service: string }[] }).spans : [];
        return ['gateway', 'posts', 'users'].every((service) => spans.some((sp) => sp.service === service));
      }, 10_000);

      const problems = await browseCommonPages(browser, target.baseUrl, 'split', {
        traceId: seen.traceId,
        services: ['gateway', 'posts', 'users'],
        modules: ['gateway', 'users', 'posts', 'notifications', 'orders', 'inventory', 'payments', 'media'],
      });
      const { page, problems: more } = await openPage(browser);
      problems.push(...more);

      // Events: the dead letter (from the posts service's own tables), replayed from the page.
      await page.goto(`${target.baseUrl}/_cleave/events`);
      const row = page.locator('#dead-letters tbody tr', { hasText: eventId });
      await row.waitFor();
      expect(await row.innerText()).toContain('connection reset (the test made this one)');
      expect(await page.locator('#subscriptions tbody tr', { hasText: 'user.updated.v1' }).first().innerText()).toMatch(/^posts\tposts\tuser\.updated\.v1/);
      await shot(page, 'split-events');
      await row.locator('button.replay').click();
      await expect.poll(() => page.locator('#replay-status').textContent()).toContain('1 dead letter(s) sent back to posts');
      await waitFor('the replayed event to be handled', async () => (await dbs.rows<{ status: string }>('posts', 'select status from posts.inbox where event_id = $1', [eventId]))[0]?.status === 'done', 15_000);
      const [post] = await dbs.rows<{ author_name: string }>('posts', 'select author_name from posts.posts where id = $1', [seen.postId]);
      expect(post?.author_name).toBe('Renamed By Replay');
      await page.locator('#dead-letters', { hasText: 'No dead letters.' }).waitFor();

      // Sagas: the declined order's saga (orders lives in the commerce service) with its compensation.
      await page.click('nav a[data-page=sagas]');
      await page.selectOption('select[name=status]', 'failed');
      await page.locator('#sagas tbody tr', { hasText: 'orders.createOrder' }).first().waitFor();
      await shot(page, 'split-sagas');
      const [saga] = await dbs.rows<{ id: string }>('orders', `select id from orders.sagas where status = 'failed' order by created_at desc limit 1`);
      await page.click(`#sagas a:text("${saga?.id}")`);
      await expect.poll(() => page.locator('#saga-state').textContent()).toBe('failed');
      expect(await page.locator('#steps tbody').innerText()).toMatch(/reserveInventory\tcompensated/);
      expect(await page.locator('#compensations').innerText()).toContain('reserveInventory: undone');
      await shot(page, 'split-saga');

      // Jobs: notifications' run on the worker service, posts' on posts; Run now asks the worker.
      await browseJobsPage(page, target.baseUrl, 'split', { notifications: 'worker', posts: 'posts' });
      // A dead job (a digest for nobody: its retry finishes at once), sent back from the page.
      const deadJob = randomUUID();
      await dbs.rows('notifications', `insert into notifications.jobs (id, name, queue, payload, status, attempts, max_attempts, run_at, created_at, finished_at, last_error)
        values ($1, 'sendDigest', 'sendDigest', $2, 'dead', 8, 8, now(), now(), now(), 'smtp refused (the test made this one)')`,
      [deadJob, JSON.stringify({ userId: 'nobody', day: '2026-12-02', posts: [] })]);
      await page.click('#refresh');
      const failing = page.locator('#job-failures tbody tr', { hasText: deadJob });
      await failing.waitFor();
      expect(await failing.innerText()).toMatch(new RegExp(`^${deadJob}\tnotifications\tsendDigest\tdead\t8/8\tsmtp refused \\(the test made this one\\)`));
      await failing.locator('button.retry').click();
      await expect.poll(() => page.locator('#jobs-status').textContent()).toBe(`Job ${deadJob} sent back to notifications's worker.`);
      await waitFor('the retried job to be done', async () => (await dbs.rows<{ status: string }>('notifications', 'select status from notifications.jobs where id = $1', [deadJob]))[0]?.status === 'done', 15_000);
      await page.click('#refresh');
      await page.locator('#job-failures', { hasText: deadJob }).waitFor({ state: 'detached' });

      // The checklist, as `cleave check` answers it.
      await page.click('nav a[data-page=checklist]');
      await page.locator('#verdict').waitFor();
      expect(await page.locator('h2').allTextContents()).toEqual(expect.arrayContaining(['Business Case', 'Technical Preparation']));
      expect(await page.locator('ul.checklist').first().innerText()).toContain('20+ engineers');
      await shot(page, 'split-checklist');
      await page.close();
      expect(problems).toEqual([]);
    }, 120_000);
  });

  describe('monolith: one process', () => {
    let target: Target;
    beforeAll(async () => {
      target = await startMonolith({ postgresUrl });
    }, bootTimeout);
    afterAll(() => target?.stop());

    it('the map, traces, events and jobs pages show the same system in one process', async () => {
      const seen = await traffic(target.baseUrl);
      await waitFor('the trace in the store', async () => (await fetch(`${target.baseUrl}/_cleave/api/traces/${seen.traceId}`)).status === 200, 10_000);
      const problems = await browseCommonPages(browser, target.baseUrl, 'monolith', {
        traceId: seen.traceId,
        services: ['app'],
        modules: ['gateway', 'users', 'posts', 'orders'],
      });
      const { page, problems: more } = await openPage(browser);
      await page.goto(`${target.baseUrl}/_cleave/sagas`);
      await page.locator('#sagas tbody tr', { hasText: 'orders.createOrder' }).first().waitFor();
      await page.goto(`${target.baseUrl}/_cleave/events`);
      // The signup's user.created.v1, handled by notifications in the same process.
      await page.locator('#subscriptions tbody tr', { hasText: 'user.created.v1' }).first().waitFor();
      expect(await page.locator('#subscriptions tbody tr', { hasText: 'user.created.v1' }).first().innerText()).toMatch(/^notifications\tapp\tuser\.created\.v1/);
      await shot(page, 'monolith-events');
      await browseJobsPage(page, target.baseUrl, 'monolith', { notifications: 'app', posts: 'app' });
      await page.close();
      expect([...problems, ...more]).toEqual([]);
    }, 90_000);
  });
});
