import { afterAll, beforeAll } from 'vitest';
import type { Target } from '../support/target.ts';
import { authSuite } from './auth.e2e.ts';
import { edgeSuite } from './edge.e2e.ts';
import { eventsSuite } from './events.e2e.ts';
import { mediaSuite } from './media.e2e.ts';
import { jwtAttackSuite } from './jwt-attacks.e2e.ts';
import { ordersSuite } from './orders.e2e.ts';
import { startSmtpSink } from '../support/smtp-sink.ts';
import { postsSuite } from './posts.e2e.ts';
import { usersSuite } from './users.e2e.ts';

/**
 * The reference app's end-to-end suite: drives the public HTTP API as a client would.
 * The same cases run against every deployment shape (and database) we ship.
 */
export function apiSuite(start: (env: Record<string, string>) => Promise<Target>): void {
  let target: Target | undefined;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>> | undefined;
  beforeAll(async () => {
    // Welcome emails go to a real SMTP server that the suite runs and reads.
    smtp = await startSmtpSink();
    target = await start({ SMTP_URL: smtp.url });
  });
  afterAll(async () => {
    await target?.stop();
    await smtp?.stop();
  });
  const current = () => {
    if (!target) throw new Error('the target did not start');
    return target;
  };
  authSuite(current);
  usersSuite(current);
  postsSuite(current);
  edgeSuite(current);
  jwtAttackSuite(current);
  eventsSuite(current, () => smtp?.received ?? []);
  ordersSuite(current);
  mediaSuite(current);
}
