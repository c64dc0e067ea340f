import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import amqp from 'amqplib';
import { waitFor } from './wait-for.ts';

/** The broker script of the Debian rabbitmq-server package (it runs as any user, unlike /usr/sbin's wrapper), or undefined. */
export function findRabbitServer(root = '/usr/lib/rabbitmq/lib'): string | undefined {
  try {
    const release = readdirSync(root).filter((d) => d.startsWith('rabbitmq_server-')).sort().at(-1);
    return release && join(root, release, 'sbin', 'rabbitmq-server');
  } catch {
    return undefined;
  }
}

/**
 * A RabbitMQ node of the test's own (loopback, its own node name, ports and data
 * directory), so a test can stop and restart the broker without touching the shared one.
 * Restarting with the same name and directory keeps durable exchanges, queues and messages.
 */
export class RabbitServerProcess {
  #child: ChildProcess | undefined;
  #exited: Promise<void> | undefined;
  #output = '';

  constructor(readonly bin: string, readonly port: number, readonly distPort: number, readonly dataDir: string) {}

  get url(): string {
    return `amqp://guest:guest@127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Spawns the node and resolves once it accepts AMQP connections (a cold Erlang boot is slow on a busy machine). */
  async start(timeoutMs = 120_000): Promise<void> {
    if (this.running) throw new Error('rabbitmq-server is already running');
    const plugins = join(this.dataDir, 'enabled_plugins');
    await writeFile(plugins, '[].\n');
    const child = spawn(this.bin, [], {
      // Its own process group: stop() ends the script and the Erlang VM it starts together.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        RABBITMQ_NODENAME: `cleave-test-${this.port}@localhost`,
        RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
        RABBITMQ_NODE_PORT: String(this.port),
        RABBITMQ_DIST_PORT: String(this.distPort),
        RABBITMQ_MNESIA_BASE: join(this.dataDir, 'mnesia'),
        RABBITMQ_LOG_BASE: join(this.dataDir, 'log'),
        RABBITMQ_ENABLED_PLUGINS_FILE: plugins,
        RABBITMQ_PLUGINS_EXPAND_DIR: join(this.dataDir, 'plugins'),
        RABBITMQ_CONFIG_FILE: join(this.dataDir, 'none'),
      },
    });
    for (const stream of [child.stdout, child.stderr]) stream?.on('data', (chunk: Buffer) => (this.#output = (this.#output + chunk.toString('utf8')).slice(-8_000)));
    this.#child = child;
    this.#exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    await waitFor(`rabbitmq-server on port ${this.port}`, async () => {
      if (!this.running) throw new Error(`rabbitmq-server exited: ${this.#output.slice(-2_000)}`);
      const connection = await amqp.connect(this.url, { timeout: 1_000 });
      await connection.close();
      return true;
    }, timeoutMs, 250);
  }

  /** SIGTERM to the node's process group, and waits for the script to exit. */
  async stop(): Promise<void> {
    if (!this.running || this.#child?.pid === undefined) return;
    process.kill(-this.#child.pid, 'SIGTERM');
    await this.#exited;
  }
}
