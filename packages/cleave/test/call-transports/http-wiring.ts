import { createLocalJWKSet } from 'jose';
import type { JWK, JWTVerifyGetKey } from 'jose';
import { ServiceTokenIssuer, ServiceTokenVerifier } from '../../src/auth/service-tokens.ts';
import { loadSigningKey } from '../../src/auth/signing-key.ts';
import type { SigningKey } from '../../src/auth/signing-key.ts';
import { listen } from '../../src/runtime/http-server.ts';
import type { HttpServer } from '../../src/runtime/http-server.ts';
import { createTracer, disabledTracer } from '../../src/telemetry/tracer.ts';
import type { Tracer } from '../../src/telemetry/tracer.ts';
import { HttpTransport } from '../../src/transport/http-transport.ts';
import { createInternalServer } from '../../src/transport/internal-server.ts';
import type { ResilienceOptions } from '../../src/transport/resilience.ts';
import { callerSide, echoRuntime, silentLogger } from './test-app.ts';
import type { CallerSide, Probe } from './test-app.ts';

/**
 * The split topology without a whole service: echo served by `createInternalServer` on
 * an ephemeral port (service "echo-svc"), client reaching it with an HttpTransport as
 * service "client-svc".
 */
export const CALLEE_SERVICE = 'echo-svc';
export const CALLER_SERVICE = 'client-svc';
export const HOST = '127.0.0.1';

export const mayCall = (service: string, module: string): boolean => service === CALLER_SERVICE && module === 'echo';

/** Counts the verifier's key-set resolutions and the key lookups jose makes with them. */
export class KeyResolverStats {
  resolutions = 0;
  keyLookups = 0;
}

export interface EchoServiceOptions {
  readonly probe: Probe;
  /** Public keys of the services the callee knows, by service name. */
  readonly knownKeys: ReadonlyMap<string, JWK>;
  readonly stats?: KeyResolverStats;
  /** Port to listen on; 0 (default) picks a free one. */
  readonly port?: number;
  /** Spans through the OpenTelemetry SDK (default) or tracing off. */
  readonly tracing?: boolean;
  /** Wraps the internal server's fetch handler, e.g. to count or refuse requests. */
  readonly wrap?: (fetch: (req: Request) => Response | Promise<Response>) => (req: Request) => Response | Promise<Response>;
}

export interface EchoService {
  readonly server: HttpServer;
  readonly url: string;
  readonly verifier: ServiceTokenVerifier;
  /** The internal server's own fetch handler (unwrapped). */
  readonly fetch: (req: Request) => Response | Promise<Response>;
  readonly tracer: Tracer;
  close(): Promise<void>;
}

export function keyResolver(knownKeys: ReadonlyMap<string, JWK>, stats?: KeyResolverStats) {
  return (service: string): JWTVerifyGetKey | undefined => {
    if (stats) stats.resolutions++;
    const jwk = knownKeys.get(service);
    if (jwk === undefined) return undefined;
    const keySet = createLocalJWKSet({ keys: [jwk] });
    return (header, token) => {
      if (stats) stats.keyLookups++;
      return keySet(header, token);
    };
  };
}

export async function startEchoService(options: EchoServiceOptions): Promise<EchoService> {
  const tracer = options.tracing === false ? disabledTracer : createTracer({ service: CALLEE_SERVICE });
  const runtime = echoRuntime(options.probe, tracer);
  const verifier = new ServiceTokenVerifier(CALLEE_SERVICE, keyResolver(options.knownKeys, options.stats));
  const internal = createInternalServer({
    service: CALLEE_SERVICE,
    hosts: new Map([['echo', runtime]]),
    verifier,
    mayCall,
    jwks: () => [],
    isReady: async () => true,
    maxDeadlineMs: 10_000,
    bodyLimitBytes: 1_000_000,
    logger: silentLogger,
  });
  const fetch = (req: Request) => internal.fetch(req);
  const server = await listen(options.wrap ? options.wrap(fetch) : fetch, options.port ?? 0, HOST);
  return {
    server,
    url: server.url,
    verifier,
    fetch,
    tracer,
    close: async () => {
      await server.close();
      await tracer.shutdown();
    },
  };
}

export interface HttpCaller extends CallerSide {
  readonly transport: HttpTransport;
  readonly tracer: Tracer;
  close(): Promise<void>;
}

/** Client's side: its runtime, and echo reached over HTTP at `baseUrl`. */
export function httpCaller(options: { baseUrl: string; key: SigningKey; probe: Probe; resilience?: ResilienceOptions; tracing?: boolean }): HttpCaller {
  const tracer = options.tracing === false ? disabledTracer : createTracer({ service: CALLER_SERVICE });
  const transport = new HttpTransport({
    service: CALLEE_SERVICE,
    baseUrl: options.baseUrl,
    tokens: new ServiceTokenIssuer(CALLER_SERVICE, options.key),
    tracer,
    ...(options.resilience ? { resilience: options.resilience } : {}),
  });
  const side = callerSide(transport, options.probe, tracer);
  return {
    ...side,
    transport,
    tracer,
    close: async () => {
      await side.router.close();
      await tracer.shutdown();
    },
  };
}

/** An ephemeral key for the caller service. */
export async function callerKey(): Promise<SigningKey> {
  return loadSigningKey({ name: CALLER_SERVICE });
}
