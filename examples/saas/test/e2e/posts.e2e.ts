import { describe, expect, it } from 'vitest';
import { ApiClient } from '../support/client.ts';
import type { Session } from '../support/client.ts';
import type { Target } from '../support/target.ts';
import { waitFor } from '../support/wait-for.ts';
import { expectProblem, fieldPaths } from './expect-problem.ts';

export function postsSuite(target: () => Target): void {
  const client = () => new ApiClient(target().baseUrl);
  const write = async (c: ApiClient, s: Session, title: string, body = `body of ${title}`) => {
    const res = await c.request('/api/v1/posts', { token: s.accessToken, body: { title, body } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; title: string };
  };

  describe('posts', () => {
    it('POST /posts creates a post with the author name copied from users', async () => {
      const c = client();
      const s = await c.signup('Writer');
      const res = await c.request('/api/v1/posts', { token: s.accessToken, body: { title: 'Hello', body: 'World' } });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ id: expect.any(String), title: 'Hello', body: 'World', authorId: s.userId, authorName: 'Writer', createdAt: expect.any(String) });
    });

    it('a post with publishAt stays hidden from others until a job publishes it then', async () => {
      const c = client();
      const author = await c.signup('Scheduler');
      const reader = await c.signup('Early Reader');
      const publishAt = new Date(Date.now() + 1_500).toISOString();
      const res = await c.request('/api/v1/posts', { token: author.accessToken, body: { title: 'Later', body: 'Not yet', publishAt } });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body.publishedAt).toBeNull();
      const id = res.body.id as string;
      const visible = async () => (await c.request(`/api/v1/posts?authorId=${author.userId}`, { token: reader.accessToken })).body.items as { id: string; publishedAt: string }[];
      expect(await visible()).toEqual([]);
      expect((await c.request(`/api/v1/posts/${id}`, { token: reader.accessToken })).status).toBe(404);
      expect((await c.request(`/api/v1/posts/${id}`, { token: author.accessToken })).status).toBe(200);
      await waitFor('the scheduled post to be published', async () => (await visible()).length === 1, 15_000, 50);
      const [published] = await visible();
      expect(new Date(published!.publishedAt).getTime()).toBeGreaterThanOrEqual(new Date(publishAt).getTime());
      expect((await c.request(`/api/v1/posts/${id}`, { token: reader.accessToken })).status).toBe(200);
    });

    it('validates a new post field by field', async () => {
      const c = client();
      const s = await c.signup();
      const res = await c.request('/api/v1/posts', { token: s.accessToken, body: { title: 't'.repeat(201), body: 7 } });
      expectProblem(res, 400, 'cleave.VALIDATION_FAILED');
      expect(fieldPaths(res).sort()).toEqual(['body', 'title']);
    });

    it('GET /posts/:id aggregates the post and its author from the users module', async () => {
      const c = client();
      const author = await c.signup('Agg Author');
      const reader = await c.signup('Reader');
      const post = await write(c, author, 'Aggregated');
      const res = await c.request(`/api/v1/posts/${post.id}`, { token: reader.accessToken });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: post.id, title: 'Aggregated', authorId: author.userId, author: { id: author.userId, name: 'Agg Author' } });
      expect(res.headers.get('cleave-partial')).toBeNull();
      expectProblem(await c.request('/api/v1/posts/does-not-exist', { token: reader.accessToken }), 404, 'posts.NOT_FOUND');
    });

    it('GET /posts lists newest first, filters by author and pages with a cursor', async () => {
      const c = client();
      const a = await c.signup('Pager');
      const b = await c.signup('Other');
      const titles = ['p1', 'p2', 'p3', 'p4', 'p5'];
      for (const t of titles) await write(c, a, t);
      await write(c, b, 'not mine');

      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = `authorId=${a.userId}&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
        const page = await c.request(`/api/v1/posts?${query}`, { token: b.accessToken });
        expect(page.status).toBe(200);
        expect(page.body.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.body.items.map((p: { title: string }) => p.title));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(seen).toEqual([...titles].reverse());

      const all = await c.request('/api/v1/posts?limit=100', { token: a.accessToken });
      expect(all.body.items.map((p: { title: string }) => p.title)).toContain('not mine');
    });

    it('refuses bad list parameters', async () => {
      const c = client();
      const s = await c.signup();
      expectProblem(await c.request('/api/v1/posts?limit=0', { token: s.accessToken }), 400, 'cleave.VALIDATION_FAILED');
      expectProblem(await c.request('/api/v1/posts?limit=abc', { token: s.accessToken }), 400, 'cleave.VALIDATION_FAILED');
      expectProblem(await c.request('/api/v1/posts?cursor=garbage', { token: s.accessToken }), 400, 'posts.BAD_CURSOR');
    });

    it('only the author may edit or delete; anyone else changes nothing', async () => {
      const c = client();
      const author = await c.signup('Owner');
      const other = await c.signup('Intruder');
      const post = await write(c, author, 'Original', 'original body');

      expectProblem(await c.request(`/api/v1/posts/${post.id}`, { method: 'PATCH', token: other.accessToken, body: { title: 'Hijacked' } }), 403, 'posts.NOT_AUTHOR');
      expectProblem(await c.request(`/api/v1/posts/${post.id}`, { method: 'DELETE', token: other.accessToken }), 403, 'posts.NOT_AUTHOR');
      const untouched = await c.request(`/api/v1/posts/${post.id}`, { token: author.accessToken });
      expect(untouched.body).toMatchObject({ title: 'Original', body: 'original body' });

      const edited = await c.request(`/api/v1/posts/${post.id}`, { method: 'PATCH', token: author.accessToken, body: { title: 'Edited' } });
      expect(edited.status).toBe(200);
      expect(edited.body).toMatchObject({ title: 'Edited', body: 'original body' });

      const deleted = await c.request(`/api/v1/posts/${post.id}`, { method: 'DELETE', token: author.accessToken });
      expect(deleted.status).toBe(204);
      expect(deleted.body).toBe('');
      expectProblem(await c.request(`/api/v1/posts/${post.id}`, { token: author.accessToken }), 404, 'posts.NOT_FOUND');
      expectProblem(await c.request(`/api/v1/posts/${post.id}`, { method: 'PATCH', token: author.accessToken, body: { title: 'ghost' } }), 404, 'posts.NOT_FOUND');
    });
  });
}
