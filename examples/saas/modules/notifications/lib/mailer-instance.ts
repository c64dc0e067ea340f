import { mailerFromEnv } from './mailer.ts';
import type { Mailer } from './mailer.ts';

// Made on first use, so the environment (SMTP_URL) is read when the service runs, not on import.
let instance: Mailer | undefined;

/** The module's one mailer. */
export function mailer(): Mailer {
  return (instance ??= mailerFromEnv());
}
