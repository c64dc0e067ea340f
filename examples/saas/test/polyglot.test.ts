import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { polyglot } from '../topologies/polyglot.ts';
import { mediaSuite } from './e2e/media.e2e.ts';
import { postsSuite } from './e2e/posts.e2e.ts';
import { polyglotProtocolSuite } from './polyglot-protocol.ts';
import { serviceToken } from './support/service-token.ts';
import { startSplit } from './support/split-target.ts';
import type { SplitTarget } from './support/split-target.ts';

// Debian's Python with Pillow and cryptography: what the Python media service runs on.
const python = (() => {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import PIL, cryptography'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!python)('API end to end: polyglot topology, media in Python on the internal protocol (needs /usr/bin/python3 with python3-pil, python3-cryptography)', () => {
  let target: SplitTarget | undefined;
  beforeAll(async () => {
    // Events over HTTP: the Python service pushes image.ready.v1 to posts' event endpoint.
    target = await startSplit({ topology: polyglot, postgresUrl: process.env.DATABASE_URL, env: { CLEAVE_EVENTS: 'http' } });
    // The media address answers as the Python implementation, not a Node process, and
    // like a framework service only to a service of the topology.
    const info = `${target.services.media}/_cleave/info`;
    const anonymous = await fetch(info);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toContain('application/problem+json');
    const asPosts = await fetch(info, { headers: { authorization: `Bearer ${await serviceToken(target.dataDir, 'posts', 'media')}` } });
    expect(await asPosts.json()).toMatchObject({ service: 'media', language: 'python' });
  });
  afterAll(async () => {
    await target?.stop();
  });
  const current = () => {
    if (!target) throw new Error('the target did not start');
    return target;
  };
  // Posts shows what media announces: its cases must hold with media in another language.
  postsSuite(current);
  mediaSuite(current);
  polyglotProtocolSuite(current);
});
