import type { ModuleDatabases } from './module-databases.ts';
import type { FaultKind } from './fault-injector.ts';
import type { Attempt, Author } from './soak-load.ts';

export interface FaultWindow {
  readonly service: string;
  readonly kind: FaultKind;
  readonly from: number;
  readonly to: number;
}

export interface AnswerAudit {
  /** Attempts by kind, and by answer ('0' = no answer). */
  readonly byKind: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly fiveXx: number;
  /** 5xx (or no answer) that no fault explains: outside every window, or a code the docs don't give for a fault. */
  readonly unexplained: readonly string[];
}

/**
 * What a client may see while a service is down or stopped (docs/errors.md): 503
 * `cleave.DEPENDENCY_UNAVAILABLE` (the dependency is unreachable or its circuit open) or
 * `cleave.SHUTTING_DOWN`, and 504 `cleave.DEADLINE_EXCEEDED` (a stopped process accepts the
 * connection and never answers). No answer at all only while the gateway itself is hit.
 */
function explained(a: Attempt, windows: readonly FaultWindow[], graceMs: number): boolean {
  const during = windows.filter((w) => a.startedAt <= w.to + graceMs && a.endedAt >= w.from);
  if (a.status === 0) return during.some((w) => w.service === 'gateway');
  if (during.length === 0) return false;
  if (a.status === 503) return a.code === 'cleave.DEPENDENCY_UNAVAILABLE' || a.code === 'cleave.SHUTTING_DOWN';
  if (a.status === 504) return a.code === 'cleave.DEADLINE_EXCEEDED';
  return false;
}

/** Every attempt's answer against the fault windows (`graceMs` after a service is ready: a breaker lets calls through again within 2 s). */
export function auditAnswers(attempts: readonly Attempt[], windows: readonly FaultWindow[], graceMs: number, t0: number): AnswerAudit {
  const byKind: Record<string, Record<string, number>> = {};
  const unexplained: string[] = [];
  let fiveXx = 0;
  for (const a of attempts) {
    const answer = a.code === undefined || a.status < 500 ? String(a.status) : `${a.status} ${a.code}`;
    const kind = (byKind[a.kind] ??= {});
    kind[answer] = (kind[answer] ?? 0) + 1;
    if (a.status >= 500) fiveXx++;
    if ((a.status === 0 || a.status >= 500) && !explained(a, windows, graceMs)) {
      unexplained.push(`${a.kind} ${answer} at ${a.startedAt - t0}..${a.endedAt - t0} ms`);
    }
  }
  return { byKind, fiveXx, unexplained };
}

/** Posts whose copy of the author name differs from the users module's (the settle condition of renames). */
export async function staleAuthorNames(dbs: ModuleDatabases): Promise<{ postId: string; authorId: string; shows: string; expected: string | undefined }[]> {
  const names = new Map((await dbs.rows<{ id: string; name: string }>('users', 'select id, name from users.users')).map((u) => [u.id, u.name]));
  const posts = await dbs.rows<{ id: string; author_id: string; author_name: string }>('posts', 'select id, author_id, author_name from posts.posts');
  return posts.filter((p) => names.get(p.author_id) !== p.author_name)
    .map((p) => ({ postId: p.id, authorId: p.author_id, shows: p.author_name, expected: names.get(p.author_id) }));
}

/**
 * Renames and posts against what the clients were told: users holds each author's last
 * name answered 200, every post of the author shows it, and the author has exactly the
 * posts answered 201 (none lost, none made twice by a retry).
 */
export async function auditAuthors(dbs: ModuleDatabases, authors: readonly Author[]): Promise<Record<string, string[]>> {
  const names = new Map((await dbs.rows<{ id: string; name: string }>('users', 'select id, name from users.users')).map((u) => [u.id, u.name]));
  const posts = await dbs.rows<{ id: string; author_id: string; author_name: string }>('posts', 'select id, author_id, author_name from posts.posts');
  const byAuthor = new Map<string, { id: string; author_name: string }[]>();
  for (const p of posts) byAuthor.set(p.author_id, [...(byAuthor.get(p.author_id) ?? []), p]);
  const violations: Record<string, string[]> = { 'users name ≠ last rename answered 200': [], 'posts not showing the author\'s last name': [], 'posts ≠ those answered 201': [] };
  for (const a of authors) {
    const id = a.session.userId;
    if (names.get(id) !== a.latest) violations['users name ≠ last rename answered 200']!.push(`${a.label}: "${names.get(id)}", expected "${a.latest}"`);
    const own = byAuthor.get(id) ?? [];
    for (const p of own) if (p.author_name !== a.latest) violations['posts not showing the author\'s last name']!.push(`${a.label} post ${p.id}: "${p.author_name}", expected "${a.latest}"`);
    const expected = [...a.postIds].sort().join(',');
    const found = own.map((p) => p.id).sort().join(',');
    if (expected !== found) violations['posts ≠ those answered 201']!.push(`${a.label}: answered [${expected}], stored [${found}]`);
  }
  return Object.fromEntries(Object.entries(violations).filter(([, list]) => list.length > 0));
}

/** Modules whose outbox the soak's load writes to. */
const PUBLISHERS = ['users', 'orders'] as const;

/** Outbox rows not yet accepted by the broker, per publishing module. */
export async function unpublished(dbs: ModuleDatabases): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const m of PUBLISHERS) {
    const [row] = await dbs.rows<{ n: string }>(m, `select count(*) as n from ${m}.outbox where published_at is null`);
    out[m] = Number(row?.n ?? 0);
  }
  return out;
}
