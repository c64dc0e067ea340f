import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { waitFor } from './wait-for.ts';

/** The absolute path of an executable on PATH, or undefined. */
export function findOnPath(command: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * A nats-server of the test's own (JetStream, loopback, its own store directory), so a
 * test can stop and restart the broker without touching the shared one. Restarting on
 * the same port and store keeps streams, consumers and their ack state.
 */
export class NatsServerProcess {
  #child: ChildProcess | undefined;
  #exited: Promise<void> | undefined;
  #stderr = '';

  constructor(readonly bin: string, readonly port: number, readonly storeDir: string) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** The tail of the server's stderr, for failure messages. */
  get stderr(): string {
    return this.#stderr.slice(-4_000);
  }

  /** Spawns the server and resolves once JetStream answers. */
  async start(timeoutMs = 20_000): Promise<void> {
    if (this.running) throw new Error('nats-server is already running');
    const child = spawn(this.bin, ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (chunk: Buffer) => (this.#stderr = (this.#stderr + chunk.toString('utf8')).slice(-16_000)));
    this.#child = child;
    this.#exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    await waitFor(`nats-server on port ${this.port} to serve JetStream`, async () => {
      if (!this.running) throw new Error(`nats-server exited: ${this.stderr}`);
      const nc = await connect({ servers: this.url, reconnect: false, timeout: 1_000 });
      try {
        await (await jetstreamManager(nc)).getAccountInfo();
        return true;
      } finally {
        await nc.close();
      }
    }, timeoutMs, 50);
  }

  /** SIGTERM, and waits for the process to exit. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.#child?.kill('SIGTERM');
    await this.#exited;
  }
}
