import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * A port that is free now, for a server that will listen on it a moment later.
 *
 * Not `listen(0)`: the kernel hands those from the ephemeral range, the same range it
 * gives outbound connections their local ports. Between our probe and the server's
 * `listen`, a pool's client connection (to PostgreSQL, say) can take that port and keep
 * it for minutes, and the server then fails with EADDRINUSE however often it restarts.
 * So the port is drawn at random from below the ephemeral range, where only listeners live,
 * and probed; `listen(0)` remains the fallback where the range cannot be read.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const below = ephemeralRangeStart();
  if (below !== undefined && below > LOWEST + 1000) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = LOWEST + Math.floor(Math.random() * (below - LOWEST));
      if (await canListen(port, host)) return port;
    }
  }
  return listenAnywhere(host);
}

/** Above the ports well-known servers sit on (PostgreSQL 5432, NATS 4222, Prometheus 9090…). */
const LOWEST = 10_000;

function ephemeralRangeStart(): number | undefined {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    const value = Number(low);
    return Number.isInteger(value) && value > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

function listenAnywhere(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
