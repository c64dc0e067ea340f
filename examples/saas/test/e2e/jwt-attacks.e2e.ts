import { createPrivateKey, sign as edSign } from 'node:crypto';
import { generateKeyPair, importJWK, SignJWT } from 'jose';
import type { JWTHeaderParameters } from 'jose';
import { describe, expect, it } from 'vitest';
import { ApiClient } from '../support/client.ts';
import type { ApiResponse, Session } from '../support/client.ts';
import { readUserTokenKey } from '../support/target.ts';
import type { Target } from '../support/target.ts';
import { expectProblem } from './expect-problem.ts';

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * RFC 8725 (JWT Best Current Practices) against the public gateway: each forged access
 * token is a genuine one (the deployment's own key, the claims of a real session) with
 * exactly one defect, and a control built the same way without the defect is accepted,
 * so every refusal is about the token. None may be a 5xx; none may act for the victim.
 */
export function jwtAttackSuite(target: () => Target): void {
  describe('JWT attacks at the gateway (RFC 8725, issue 12)', () => {
    const client = () => new ApiClient(target().baseUrl);

    async function forge() {
      const c = client();
      const victim = await c.signup('JWT Victim');
      const other = await c.signup('JWT Other');
      const jwk = await readUserTokenKey(target());
      const key = await importJWK(jwk, 'EdDSA');
      const claims = JSON.parse(Buffer.from(victim.accessToken.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
      const header = JSON.parse(Buffer.from(victim.accessToken.split('.')[0]!, 'base64url').toString()) as JWTHeaderParameters;
      const sign = (payload: Record<string, unknown> = claims, protectedHeader: Partial<JWTHeaderParameters> = {}, signingKey: Parameters<SignJWT['sign']>[0] = key) =>
        new SignJWT(payload).setProtectedHeader({ ...header, ...protectedHeader } as JWTHeaderParameters).sign(signingKey);
      // Headers jose will not sign (unknown `crit`, no `typ`): signed by hand with the real key.
      const signRaw = (rawHeader: Record<string, unknown>, payload: Record<string, unknown> = claims) => {
        const input = `${b64(rawHeader)}.${b64(payload)}`;
        const signature = edSign(null, Buffer.from(input), createPrivateKey({ key: jwk as never, format: 'jwk' })).toString('base64url');
        return `${input}.${signature}`;
      };
      return { c, victim, other, jwk, claims, header, sign, signRaw };
    }

    const refused = (res: ApiResponse) => {
      expect(res.status, JSON.stringify(res.body)).toBeLessThan(500);
      expectProblem(res, 401, 'cleave.UNAUTHENTICATED');
    };

    it('control: tokens forged with the real key and no defect are accepted (by jose and by hand)', async () => {
      const { c, victim, header, sign, signRaw } = await forge();
      for (const token of [await sign(), signRaw(header)]) {
        const res = await c.request('/api/v1/users/me', { token });
        expect(res.status).toBe(200);
        expect(res.body.id).toBe(victim.userId);
      }
    });

    it('refuses tokens with one defect each', async () => {
      const { c, victim, other, jwk, claims, header, sign, signRaw } = await forge();
      const now = Math.floor(Date.now() / 1000);
      const attacker = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
      const attackerJwk = { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(new Uint8Array(32)).toString('base64url') };
      const body = victim.accessToken.split('.').slice(1).join('.');
      const cases: [string, string][] = [
        ['alg none', `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(claims)}.`],
        ['alg "None" with a signature part', `${b64({ alg: 'None', typ: 'at+jwt' })}.${body}`],
        ['HS256 keyed with the published public key', await sign(claims, { alg: 'HS256' }, new TextEncoder().encode(jwk.x))],
        ['ES256 header on an EdDSA signature', `${b64({ alg: 'ES256', typ: 'at+jwt', kid: jwk.kid })}.${body}`],
        ['typ JWT instead of at+jwt', await sign(claims, { typ: 'JWT' })],
        ['typ svc+jwt (a service token shape)', await sign({ ...claims, aud: 'users' }, { typ: 'svc+jwt' })],
        ['no typ', signRaw({ alg: 'EdDSA', kid: header.kid })],
        ['wrong issuer', await sign({ ...claims, iss: 'cleave:another-app' })],
        ['wrong audience', await sign({ ...claims, aud: 'another-api' })],
        ['audience list without ours', await sign({ ...claims, aud: ['a-api', 'b-api'] })],
        ['expired', await sign({ ...claims, iat: now - 3600, exp: now - 60 })],
        ['not yet valid (nbf in an hour)', await sign({ ...claims, nbf: now + 3600 })],
        ['no exp', await sign(Object.fromEntries(Object.entries(claims).filter(([k]) => k !== 'exp')))],
        ['unknown kid, signed by another key', await sign(claims, { kid: 'no-such-key' }, attacker.privateKey)],
        ['kid injection (path), another key', await sign(claims, { kid: '../../../../dev/null' }, attacker.privateKey)],
        ['kid injection (SQL), another key', await sign(claims, { kid: "x' UNION SELECT 'key" }, attacker.privateKey)],
        ['embedded jwk header with the attacker key', await sign(claims, { jwk: await (await import('jose')).exportJWK(attacker.publicKey) }, attacker.privateKey)],
        ['jku header pointing at the attacker', await sign(claims, { jku: 'http://127.0.0.1:1/jwks.json' }, attacker.privateKey)],
        ['unknown critical header', signRaw({ ...header, crit: ['x-cleave-unknown'], 'x-cleave-unknown': 1 })],
        ['an all-zero Ed25519 key in the header', await sign(claims, { jwk: attackerJwk }, attacker.privateKey)],
        ['tampered payload (sub of another user), original signature', `${victim.accessToken.split('.')[0]}.${b64({ ...claims, sub: other.userId })}.${victim.accessToken.split('.')[2]}`],
        ['signature of another token', `${victim.accessToken.split('.').slice(0, 2).join('.')}.${other.accessToken.split('.')[2]}`],
        ['oversized token (8 KB of claims, under the header limit)', await sign({ ...claims, pad: 'x'.repeat(8_000) }, {}, attacker.privateKey)],
        ['the refresh token as a bearer token', victim.refreshToken],
        ['empty segments', '..'],
      ];
      for (const [label, token] of cases) {
        const res = await c.request('/api/v1/users/me', { token });
        expect(res.status, label).not.toBe(200);
        refused(res);
        // Nothing may be written with it either.
        const write = await c.request('/api/v1/users/me', { method: 'PATCH', token, body: { name: 'Pwned' } });
        expect(write.status, label).toBe(401);
      }
      const me = await c.request('/api/v1/users/me', { token: victim.accessToken });
      expect(me.body.name).toBe('JWT Victim');
    });

    it('an access token of a session ended by refresh reuse or logout is refused', async () => {
      const c = client();
      const reused: Session = await c.signup();
      const first = await c.request('/api/v1/auth/refresh', { body: { refreshToken: reused.refreshToken } });
      await c.request('/api/v1/auth/refresh', { body: { refreshToken: first.body.refreshToken } });
      refused(await c.request('/api/v1/auth/refresh', { body: { refreshToken: reused.refreshToken } })); // theft
      for (const token of [reused.accessToken, first.body.accessToken]) refused(await c.request('/api/v1/users/me', { token }));

      const loggedOut = await c.signup();
      expect((await c.request('/api/v1/auth/logout', { body: { refreshToken: loggedOut.refreshToken } })).status).toBe(204);
      refused(await c.request('/api/v1/users/me', { token: loggedOut.accessToken }));
    });

    it('an Authorization header too large for the server is a 431 problem, not a crash', async () => {
      const res = await client().request('/api/v1/users/me', { token: 'x'.repeat(40_000) });
      expect(res.status).toBe(431);
      expect(res.contentType).toContain('application/problem+json');
      expect((await client().request('/healthz')).status).toBe(200);
    });
  });
}
