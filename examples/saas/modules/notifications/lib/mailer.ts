import { createTransport } from 'nodemailer';

export interface Email {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  /** Stable Message-ID: a receiver can drop a resend after a crash between send and commit. */
  readonly messageId: string;
}

/** Sends email; `none` when there is no SMTP server (the sent-mail table is the outbox then). */
export interface Mailer {
  readonly kind: 'smtp' | 'none';
  send(email: Email): Promise<void>;
  close(): void;
}

const FROM = process.env.MAIL_FROM ?? 'Cleave SaaS <hello@cleave.example>';

/** SMTP through nodemailer when `SMTP_URL` is set (e.g. `smtp://127.0.0.1:2525`). */
export function mailerFromEnv(env: NodeJS.ProcessEnv = process.env): Mailer {
  const url = env.SMTP_URL;
  if (!url) return { kind: 'none', send: async () => {}, close: () => {} };
  const transport = createTransport(url);
  return {
    kind: 'smtp',
    async send(email) {
      await transport.sendMail({ from: FROM, to: email.to, subject: email.subject, text: email.text, messageId: email.messageId });
    },
    close: () => transport.close(),
  };
}
