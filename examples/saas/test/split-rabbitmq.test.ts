import { describe } from 'vitest';
import { apiSuite } from './e2e/api-suite.ts';
import { startSplit } from './support/split-target.ts';

const url = process.env.RABBITMQ_URL;

describe.skipIf(!url)('API end to end: split topology on PGlite, events through RabbitMQ quorum queues (needs RABBITMQ_URL)', () => {
  apiSuite((env) => startSplit({ env: { ...env, CLEAVE_EVENTS: 'rabbitmq' } }));
});
