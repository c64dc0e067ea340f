import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';

export interface HttpServer {
  readonly port: number;
  readonly url: string;
  /** Stops accepting connections and resolves once requests in flight have finished. */
  close(): Promise<void>;
}

/** Serves a web-standard fetch handler on Node's HTTP server (Hono's adapter). */
export function listen(fetch: (req: Request) => Response | Promise<Response>, port: number, host: string): Promise<HttpServer> {
  return new Promise((resolveListen, rejectListen) => {
    const server = serve({ fetch, port, hostname: host }, (info: AddressInfo) => {
      const url = `http://${host.includes(':') ? `[${host}]` : host}:${info.port}`;
      resolveListen({ port: info.port, url, close: () => closeGracefully(server as Server) });
    }) as Server;
    server.once('error', rejectListen);
    // Slowloris protection and a bound on idle keep-alive sockets.
    server.headersTimeout = 10_000;
    server.requestTimeout = 30_000;
    server.keepAliveTimeout = 5_000;
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
