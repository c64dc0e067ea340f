import type { Email } from './mailer.ts';

export function welcomeEmail(user: { email: string; name: string }, eventId: string): Email {
  return {
    to: user.email,
    subject: `Welcome, ${user.name}!`,
    text: `Hi ${user.name},\n\nyour account is ready. Glad to have you.\n`,
    messageId: `<welcome-${eventId}@cleave.example>`,
  };
}
