import type { Email } from './mailer.ts';

export interface DigestPost {
  readonly id: string;
  readonly title: string;
  readonly authorName: string;
}

export function digestEmail(recipient: { email: string; name: string }, day: string, posts: readonly DigestPost[]): Email {
  const lines = posts.map((p) => `- ${p.title} (by ${p.authorName})`);
  return {
    to: recipient.email,
    subject: `${posts.length} new post${posts.length === 1 ? '' : 's'} on ${day}`,
    text: `Hi ${recipient.name},\n\nnew since yesterday:\n${lines.join('\n')}\n`,
    messageId: `<digest-${day}-${recipient.email}@cleave.example>`,
  };
}
