import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { waitFor } from './wait-for.ts';

/**
 * A redis-server of the test's own (loopback, its own port and directory, an append-only
 * file fsync'd every second), so a test can stop and restart Redis without touching the
 * shared one. A restart on the same port and directory replays the file: queues, jobs and
 * their locks come back.
 */
export class RedisServerProcess {
  #child: ChildProcess | undefined;
  #exited: Promise<void> | undefined;
  #output = '';

  constructor(readonly bin: string, readonly port: number, readonly dataDir: string) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Spawns the server and resolves once it answers PING. */
  async start(timeoutMs = 20_000): Promise<void> {
    if (this.running) throw new Error('redis-server is already running');
    const child = spawn(this.bin, ['--bind', '127.0.0.1', '--port', String(this.port), '--dir', this.dataDir, '--appendonly', 'yes', '--save', '', '--maxmemory-policy', 'noeviction'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [child.stdout, child.stderr]) stream?.on('data', (chunk: Buffer) => (this.#output = (this.#output + chunk.toString('utf8')).slice(-8_000)));
    this.#child = child;
    this.#exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    await waitFor(`redis-server on port ${this.port}`, async () => {
      if (!this.running) throw new Error(`redis-server exited: ${this.#output.slice(-2_000)}`);
      const client = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      client.on('error', () => {});
      try {
        await client.connect();
        return (await client.ping()) === 'PONG';
      } finally {
        client.disconnect();
      }
    }, timeoutMs, 50);
  }

  /** SIGTERM (Redis flushes its append-only file and exits), and waits for the process to exit. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.#child?.kill('SIGTERM');
    await this.#exited;
  }
}
