import { describe, expect, it } from 'vitest';
import { ApiClient } from '../support/client.ts';
import type { ReceivedMail } from '../support/smtp-sink.ts';
import type { Target } from '../support/target.ts';
import { waitFor } from '../support/wait-for.ts';

export function eventsSuite(target: () => Target, mail: () => readonly ReceivedMail[]): void {
  const client = () => new ApiClient(target().baseUrl);

  describe('events', () => {
    it('a rename reaches the author\'s posts within a second (user.updated.v1)', async () => {
      const c = client();
      const s = await c.signup('Before Rename');
      const ids: string[] = [];
      for (const title of ['one', 'two']) ids.push((await c.request('/api/v1/posts', { token: s.accessToken, body: { title, body: 'b' } })).body.id);
      expect((await c.request('/api/v1/users/me', { method: 'PATCH', token: s.accessToken, body: { name: 'After Rename' } })).status).toBe(200);

      await waitFor('posts to show the new author name', async () => {
        const page = await c.request(`/api/v1/posts?authorId=${s.userId}`, { token: s.accessToken });
        return page.body.items.length === 2 && page.body.items.every((p: { authorName: string }) => p.authorName === 'After Rename');
      }, 1_000, 20);
      // A post written after the rename carries the new name too.
      const later = await c.request('/api/v1/posts', { token: s.accessToken, body: { title: 'three', body: 'b' } });
      expect(later.body.authorName).toBe('After Rename');
    });

    it('every signup gets exactly one welcome email over SMTP (user.created.v1)', async () => {
      const c = client();
      const sessions = [await c.signup('Wendy'), await c.signup('Walt')];
      for (const s of sessions) {
        await waitFor(`a welcome email to ${s.email}`, () => mail().some((m) => m.to.includes(s.email)), 5_000, 20);
      }
      for (const s of sessions) {
        const mails = mail().filter((m) => m.to.includes(s.email));
        expect(mails).toHaveLength(1);
        expect(mails[0]?.subject).toBe(`Welcome, ${s.name}!`);
        expect(mails[0]?.messageId).toMatch(/^<welcome-.+@cleave\.example>$/);
      }
    });
  });
}
