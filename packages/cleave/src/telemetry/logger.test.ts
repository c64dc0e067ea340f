import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { errors } from '../errors/framework-errors.ts';
import { createLogger } from './logger.ts';

function capture() {
  const stream = new PassThrough();
  const lines: string[] = [];
  stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
  return { logger: createLogger({ service: 'test', destination: stream }), text: () => lines.join('\n') };
}

const HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo';

describe('logger redaction (issue 12)', () => {
  it('never writes the SQL parameters a driver attaches to its error, at any depth', async () => {
    const { logger, text } = capture();
    // What PGlite throws on a NUL in a name: the statement and its parameters, hash included.
    const driverError = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), {
      code: '22021',
      query: 'insert into "users" ("email", "password_hash", "name") values ($1, $2, $3)',
      params: ['a@example.com', HASH, 'x\u0000'],
    });
    logger.error({ err: driverError }, 'operation failed');
    logger.error({ err: errors.INTERNAL(undefined, undefined, driverError) }, 'request failed');
    logger.error({ error: new AggregateError([driverError]) }, 'batch failed');
    await new Promise((r) => setImmediate(r));
    expect(text()).toContain('invalid byte sequence');
    expect(text()).toContain('[Redacted]');
    expect(text()).not.toContain('argon2id');
    expect(text()).not.toContain('a@example.com');
  });

  it('redacts passwords, tokens and authorization headers passed by a call site', async () => {
    const { logger, text } = capture();
    logger.info({ password: 'hunter2', body: { refreshToken: 'rt-secret', name: 'ok' }, headers: { authorization: 'Bearer at-secret' } }, 'request');
    logger.info({ user: { passwordHash: HASH } }, 'user');
    await new Promise((r) => setImmediate(r));
    for (const secret of ['hunter2', 'rt-secret', 'at-secret', 'argon2id']) expect(text()).not.toContain(secret);
    expect(text()).toContain('"name":"ok"');
  });
});
