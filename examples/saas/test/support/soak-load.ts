import { randomUUID } from 'node:crypto';
import { DEMO_PRODUCTS } from '../../modules/inventory/db/migrations.ts';
import { ApiClient } from './client.ts';
import type { ApiResponse, RequestOptions, Session } from './client.ts';
import { SeededRandom } from './seeded-random.ts';

export type RequestKind = 'signup' | 'post' | 'rename' | 'order' | 'read';

/** One HTTP attempt as the client saw it. */
export interface Attempt {
  readonly kind: RequestKind;
  /** 0: no answer (connection refused or reset). */
  readonly status: number;
  readonly code: string | undefined;
  readonly startedAt: number;
  readonly endedAt: number;
}

export interface Author {
  readonly label: string;
  readonly client: ApiClient;
  readonly session: Session;
  /** Posts the API answered 201 for (with their Idempotency-Key, so a retry is the same post). */
  readonly postIds: string[];
  /** The last name a PATCH answered 200 for. */
  latest: string;
  renames: number;
  /** One rename at a time per user: only then is "the latest name" well defined. */
  renaming: boolean;
}

export interface Line {
  readonly productId: string;
  readonly quantity: number;
}

export interface PlacedOrder {
  readonly key: string;
  readonly userId: string;
  readonly orderId: string;
  readonly lines: readonly Line[];
  readonly token: string;
}

export interface LoadPlan {
  readonly workers: number;
  readonly weights: Readonly<Record<RequestKind, number>>;
  /** Pause between a worker's operations. */
  readonly paceMs: readonly [number, number];
  readonly declinedShare: number;
  /** An operation not through in this long fails the run. */
  readonly operationDeadlineMs: number;
}

/** Retried with the same request: the fault answers, and 409/429 (a retry overlapping its first attempt; the rate limit). */
const RETRIED = new Set([0, 409, 429, 500, 502, 503, 504]);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The soak's client side: workers doing signups, posts, renames, orders and reads at
 * random (seeded) against the public API, each operation retried until it succeeds
 * (with an Idempotency-Key where the API takes one), every attempt recorded.
 */
export class SoakLoad {
  readonly attempts: Attempt[] = [];
  readonly authors: Author[] = [];
  readonly orders: PlacedOrder[] = [];
  readonly done: Record<RequestKind, number> = { signup: 0, post: 0, rename: 0, order: 0, read: 0 };
  /** Answers no retry can fix (a 4xx the request did not deserve): each is a bug. */
  readonly unexpected: string[] = [];
  #signups = 0;

  /** Each worker draws from its own generator (seed + its number), so its sequence of choices does not depend on the others' timing. */
  constructor(private readonly baseUrl: string, private readonly seed: number, private readonly plan: LoadPlan) {}

  /** The first users, one post each, before any fault. */
  async seedUsers(users: number): Promise<void> {
    for (let i = 0; i < users; i++) {
      await this.#signup();
      await this.#post(this.authors.at(-1)!);
    }
  }

  /** Runs the workers until `stopAt` (each finishes the operation it is in). */
  async run(stopAt: number): Promise<void> {
    await Promise.all(Array.from({ length: this.plan.workers }, async (_, n) => {
      const random = new SeededRandom(this.seed + 1 + n);
      while (Date.now() < stopAt && this.unexpected.length === 0) {
        await this.#step(random, random.weighted(this.plan.weights));
        await sleep(random.between(this.plan.paceMs));
      }
    }));
  }

  async #step(random: SeededRandom, kind: RequestKind): Promise<void> {
    if (kind === 'signup') return this.#signup();
    if (kind === 'post') return this.#post(random.pick(this.authors));
    if (kind === 'order') return this.#order(random, random.pick(this.authors));
    if (kind === 'read') return this.#read(random);
    const free = this.authors.filter((a) => !a.renaming);
    if (free.length > 0) return this.#rename(random.pick(free));
  }

  async #signup(): Promise<void> {
    const label = `soak-${this.#signups++}`;
    const password = `pw-${randomUUID()}`;
    const res = await this.#untilDone('signup', `signup ${label}`, 201, () => {
      // A fresh address (auth routes allow 20 a minute per address) and email per attempt:
      // an attempt that failed may still have committed.
      const client = new ApiClient(this.baseUrl);
      const email = `${label}-${randomUUID()}@example.com`;
      return { client, email, res: client.request('/api/v1/auth/signup', { body: { email, password, name: `${label}-r0` } }) };
    });
    if (res === undefined) return;
    const { client, email, body } = res;
    const session: Session = { email, password, name: `${label}-r0`, userId: body.user.id, accessToken: body.accessToken, refreshToken: body.refreshToken };
    this.authors.push({ label, client, session, postIds: [], latest: session.name, renames: 0, renaming: false });
  }

  async #post(author: Author): Promise<void> {
    const key = randomUUID();
    const res = await this.#sameRequest('post', author, '/api/v1/posts', {
      body: { title: `post ${author.postIds.length} of ${author.label}`, body: 'soak' }, headers: { 'idempotency-key': key },
    }, 201);
    if (res) author.postIds.push(res.body.id as string);
  }

  async #rename(author: Author): Promise<void> {
    author.renaming = true;
    try {
      const name = `${author.label}-r${author.renames + 1}`;
      // PATCH is idempotent as it is: a retry sets the same name.
      const res = await this.#sameRequest('rename', author, '/api/v1/users/me', { method: 'PATCH', body: { name } }, 200);
      if (res) {
        author.latest = name;
        author.renames++;
      }
    } finally {
      author.renaming = false;
    }
  }

  async #order(random: SeededRandom, author: Author): Promise<void> {
    const key = randomUUID();
    const products = random.shuffle(DEMO_PRODUCTS).slice(0, random.chance(0.7) ? 1 : 2);
    const lines = products.map((p) => ({ productId: p.id, quantity: random.int(1, 3) }));
    const token = random.chance(this.plan.declinedShare) ? 'tok_chargeDeclined' : 'tok_visa';
    const res = await this.#sameRequest('order', author, '/api/v1/orders', { body: { items: lines, paymentToken: token }, headers: { 'idempotency-key': key } }, 202);
    if (res) this.orders.push({ key, userId: author.session.userId, orderId: res.body.orderId as string, lines, token });
  }

  async #read(random: SeededRandom): Promise<void> {
    const withPosts = this.authors.filter((a) => a.postIds.length > 0);
    if (withPosts.length === 0) return;
    const author = random.pick(withPosts);
    // The aggregate (post + author): degrades to author null while users is down, still 200.
    await this.#sameRequest('read', author, `/api/v1/posts/${random.pick(author.postIds)}`, {}, 200);
  }

  #sameRequest(kind: RequestKind, author: Author, path: string, options: RequestOptions, ok: number): Promise<ApiResponse | undefined> {
    return this.#untilDone(kind, `${kind} ${path} of ${author.label}`, ok, () => ({ res: author.client.request(path, { ...options, token: author.session.accessToken }) }))
      .then((r) => r?.res);
  }

  /** Attempts until `ok`; a retried status waits a little (growing), anything else is recorded as unexpected. */
  async #untilDone<T extends { res: Promise<ApiResponse> }>(kind: RequestKind, what: string, ok: number, attempt: () => T): Promise<(Omit<T, 'res'> & { res: ApiResponse; body: any }) | undefined> { // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON bodies
    const deadline = Date.now() + this.plan.operationDeadlineMs;
    for (let n = 0; ; n++) {
      const startedAt = Date.now();
      const made = attempt();
      const res = await made.res.catch(() => undefined);
      const status = res?.status ?? 0;
      const code = typeof res?.body?.code === 'string' ? (res.body.code as string) : undefined;
      this.attempts.push({ kind, status, code, startedAt, endedAt: Date.now() });
      if (status === ok) {
        this.done[kind]++;
        return { ...made, res: res!, body: res!.body };
      }
      if (!RETRIED.has(status)) {
        this.unexpected.push(`${what}: ${status} ${JSON.stringify(res?.body).slice(0, 300)}`);
        return undefined;
      }
      if (Date.now() > deadline) {
        this.unexpected.push(`${what}: not through within ${this.plan.operationDeadlineMs} ms (last: ${status} ${code ?? ''})`);
        return undefined;
      }
      await sleep(Math.min(25 * 2 ** n, 1_000));
    }
  }
}
