import { join } from 'node:path';
import { createRemoteJWKSet } from 'jose';
import type { JWTVerifyGetKey } from 'jose';
import { ServiceTokenIssuer, ServiceTokenVerifier } from '../../auth/service-tokens.ts';
import { loadSigningKey } from '../../auth/signing-key.ts';
import type { SigningKey } from '../../auth/signing-key.ts';
import { SERVICE_JWKS_PATH } from '../../http/http-protocol.ts';
import { HttpTransport } from '../../transport/http-transport.ts';
import type { CallRouter } from '../call-router.ts';
import { serviceUrl } from '../service-directory.ts';
import { hostOf } from '../topology.ts';
import type { ServiceBoot } from './service-boot.ts';

export interface RemoteCalls {
  readonly key: SigningKey;
  readonly issuer: ServiceTokenIssuer;
  readonly verifier: ServiceTokenVerifier;
}

/**
 * Wires this service to the others of a multi-service topology: its service key, an
 * HTTP transport per remote service for the modules hosted there, and a verifier that
 * checks callers' tokens against the key sets they publish. Nothing in a one-service topology.
 */
export async function wireRemoteCalls(boot: ServiceBoot, router: CallRouter): Promise<RemoteCalls | undefined> {
  if (!boot.multiService) return undefined;
  const { app, topology, name: service, settings, tracer } = boot;
  const key = await loadSigningKey({ name: `service-${service}`, dir: join(settings.dataDir, 'keys'), privateJwk: settings.serviceKey });
  const issuer = new ServiceTokenIssuer(service, key);
  const transports = new Map<string, HttpTransport>();
  for (const module of app.modules) {
    if (router.has(module.name)) continue;
    const host = hostOf(topology, module.name) as string;
    let transport = transports.get(host);
    if (transport === undefined) {
      transport = new HttpTransport({ service: host, baseUrl: serviceUrl(topology, host, settings.env), tokens: issuer, tracer });
      transports.set(host, transport);
    }
    router.register(module.name, transport);
  }

  const keySets = new Map<string, JWTVerifyGetKey>();
  const verifier = new ServiceTokenVerifier(service, (caller) => {
    // Own keys only: an issuer named "constructor" is not a service.
    if (!Object.hasOwn(topology.services, caller)) return undefined;
    let keys = keySets.get(caller);
    if (keys === undefined) {
      // Fetched on first use and re-fetched when an unknown key id shows up (rotation).
      keys = createRemoteJWKSet(new URL(SERVICE_JWKS_PATH, serviceUrl(topology, caller, settings.env)), { cooldownDuration: 5_000, timeoutDuration: 2_000 });
      keySets.set(caller, keys);
    }
    return keys;
  });
  return { key, issuer, verifier };
}
