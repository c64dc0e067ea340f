import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RequestListener, Server, ServerOptions } from 'node:http';
import { serve } from '@hono/node-server';
import { guardRequests } from './http-guards.ts';

export interface HttpServer {
  readonly port: number;
  readonly url: string;
  /** Stops accepting connections and resolves once requests in flight have finished. */
  close(): Promise<void>;
}

export interface HttpServerLimits {
  /** Time for a client to send its request headers (slowloris protection). Default 10 s. */
  readonly headersTimeoutMs?: number;
  /** Time for the whole request. Default 30 s. */
  readonly requestTimeoutMs?: number;
}

/** Serves a web-standard fetch handler on Node's HTTP server (Hono's adapter). */
export function listen(fetch: (req: Request) => Response | Promise<Response>, port: number, host: string, limits: HttpServerLimits = {}): Promise<HttpServer> {
  const headersTimeout = limits.headersTimeoutMs ?? 10_000;
  const serverOptions: ServerOptions = {
    headersTimeout,
    requestTimeout: limits.requestTimeoutMs ?? 30_000,
    keepAliveTimeout: 5_000,
    // Node enforces the two timeouts only when it sweeps its connections, every 30 s by
    // default: a slowloris connection outlived a 10 s headersTimeout by up to 27 s.
    connectionsCheckingInterval: Math.min(1_000, headersTimeout),
  };
  return new Promise((resolveListen, rejectListen) => {
    const server = serve({
      fetch,
      port,
      hostname: host,
      serverOptions,
      // Hono's adapter calls createServer(options, listener): the listener is wrapped by the guards.
      createServer: ((options: ServerOptions, listener: RequestListener) => {
        const created: Server = createServer(options);
        created.on('request', guardRequests(created, listener));
        return created;
      }) as unknown as typeof createServer,
    }, (info: AddressInfo) => {
      const url = `http://${host.includes(':') ? `[${host}]` : host}:${info.port}`;
      resolveListen({ port: info.port, url, close: () => closeGracefully(server as Server) });
    }) as Server;
    server.once('error', rejectListen);
  });
}

function closeGracefully(server: Server): Promise<void> {
  return new Promise((resolveClose, rejectClose) => {
    // close() stops accepting and waits for in-flight requests; idle keep-alive sockets
    // would hold it open, so they are closed now and busy ones as they finish.
    server.close((err) => (err ? rejectClose(err) : resolveClose()));
    server.closeIdleConnections();
    const idleSweep = setInterval(() => server.closeIdleConnections(), 50);
    server.once('close', () => clearInterval(idleSweep));
  });
}
