import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT } from 'jose';
import type { JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import type { SplitTarget } from './support/split-target.ts';

type Key = { kid: string | undefined; privateKey: Parameters<SignJWT['sign']>[0] };

async function serviceKey(target: SplitTarget, service: string): Promise<Key> {
  const jwk = JSON.parse(await readFile(join(target.dataDir, 'keys', `service-${service}.private.jwk.json`), 'utf8')) as JWK;
  const { d: _private, ...publicJwk } = jwk;
  // The framework's key id: the JWK thumbprint, as the service's JWKS publishes it.
  return { kid: jwk.kid ?? (await calculateJwkThumbprint(publicJwk)), privateKey: await importJWK(jwk, 'EdDSA') };
}

function sign(key: Key, claims: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iat: now, exp: now + 60, ...claims }).setProtectedHeader({ alg: 'EdDSA', typ: 'svc+jwt', ...(key.kid ? { kid: key.kid } : {}), ...header }).sign(key.privateKey);
}

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]);

/**
 * The Python media service on the internal protocol, called directly as another service
 * would: service tokens checked against the callers' JWKS (each forged token has one
 * defect, and a control built the same way is accepted), deadlines, trace context and
 * raw messages.
 */
export function polyglotProtocolSuite(target: () => SplitTarget): void {
  const call = async (operation: string, init: { token?: string; headers?: Record<string, string>; json?: unknown; raw?: { fields: object; bytes: Uint8Array; type: string } }) => {
    const headers: Record<string, string> = { ...init.headers };
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    let body: string | Uint8Array = JSON.stringify(init.json ?? {});
    if (init.raw) {
      headers['content-type'] = init.raw.type;
      headers['cleave-fields'] = encodeURIComponent(JSON.stringify(init.raw.fields));
      body = init.raw.bytes;
    } else headers['content-type'] = 'application/json';
    const res = await fetch(`${target().services.media}/_cleave/call/media/${operation}`, { method: 'POST', headers, body: body as string });
    const text = await res.text();
    return { status: res.status, type: res.headers.get('content-type') ?? '', body: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : text };
  };
  const getImage = (token?: string, headers?: Record<string, string>) => call('getImage', { ...(token ? { token } : {}), ...(headers ? { headers } : {}), json: { imageId: 'none', variant: 'small' } });

  describe('the Python media service on the internal protocol', () => {
    it('accepts a token of a declared caller, signed with the key its JWKS publishes', async () => {
      const res = await getImage(await sign(await serviceKey(target(), 'gateway'), { iss: 'gateway', aud: 'media' }));
      expect(res).toMatchObject({ status: 404, body: { code: 'media.IMAGE_NOT_FOUND', status: 404 } });
      expect(res.type).toContain('application/problem+json');
    });

    it('refuses missing and forged tokens with 401, and a caller that declares no dependency with 403', async () => {
      const gateway = await serviceKey(target(), 'gateway');
      const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
      const stranger: Key = { kid: (await exportJWK(publicKey)).x, privateKey };
      const now = Math.floor(Date.now() / 1000);
      const forged = [
        undefined,
        await sign(stranger, { iss: 'gateway', aud: 'media' }),
        await sign({ ...stranger, kid: gateway.kid }, { iss: 'gateway', aud: 'media' }),
        await sign(gateway, { iss: 'gateway', aud: 'posts' }),
        await sign(gateway, { iss: 'gateway', aud: 'media', iat: now - 120, exp: now - 60 }),
        await sign(gateway, { iss: 'gateway', aud: 'media', exp: now + 3600 }),
        await sign(gateway, { iss: 'gateway', aud: 'media' }, { typ: 'JWT' }),
        await sign(gateway, { iss: 'nobody', aud: 'media' }),
        `${Buffer.from('{"alg":"none","typ":"svc+jwt"}').toString('base64url')}.${Buffer.from(`{"iss":"gateway","aud":"media","iat":${now},"exp":${now + 60}}`).toString('base64url')}.`,
      ];
      for (const token of forged) {
        const res = await getImage(token);
        expect(res.status, `${token}: ${JSON.stringify(res.body)}`).toBe(401);
        expect(res.body).toMatchObject({ code: 'cleave.UNAUTHENTICATED' });
      }
      const users = await getImage(await sign(await serviceKey(target(), 'users'), { iss: 'users', aud: 'media' }));
      expect(users).toMatchObject({ status: 403, body: { code: 'cleave.FORBIDDEN' } });
    });

    it('answers in the caller\'s trace, refuses work past the deadline, and validates raw input with the contract\'s schema', async () => {
      const token = await sign(await serviceKey(target(), 'gateway'), { iss: 'gateway', aud: 'media', sub: 'user-1' });
      const traceId = 'ab'.repeat(16);
      const traced = await getImage(token, { traceparent: `00-${traceId}-${'cd'.repeat(8)}-01` });
      expect(traced.body).toMatchObject({ traceId });
      // No time left for its call to posts: 504, as a Node service answers.
      const late = await call('uploadPostImage', { token, headers: { 'cleave-deadline-ms': '0.001' }, raw: { fields: { id: 'p-1', contentType: 'image/png' }, bytes: PNG, type: 'image/png' } });
      expect(late).toMatchObject({ status: 504, body: { code: 'cleave.DEADLINE_EXCEEDED' } });
      const invalid = await call('uploadPostImage', { token, raw: { fields: { id: '', contentType: 'image/gif', extra: 1 }, bytes: new Uint8Array(0), type: 'image/gif' } });
      expect(invalid).toMatchObject({ status: 400, body: { code: 'cleave.VALIDATION_FAILED' } });
      expect(((invalid.body as { errors: { path: string }[] }).errors.map((e) => e.path)).sort()).toEqual(['body', 'contentType', 'extra', 'id']);
    });
  });
}
