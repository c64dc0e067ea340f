import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireEmbeddedPostgres, releaseEmbeddedPostgres } from './embedded-postgres.ts';
import { openModuleDatabase } from './module-database.ts';

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'cleave-embedded-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const serverPid = async () => Number((await readFile(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0]);
const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('embedded PostgreSQL server', () => {
  it("overlapping transactions of two modules don't wait on each other (one connection per module pool, not one per process)", async () => {
    const orders = await openModuleDatabase<{ t: { v: number } }>('orders', { kind: 'embedded', dataDir });
    const stock = await openModuleDatabase<{ t: { v: number } }>('stock', { kind: 'embedded', dataDir });
    try {
      await sql`create table if not exists t (v int)`.execute(orders.db);
      await sql`create table if not exists t (v int)`.execute(stock.db);
      // A handler's transaction that calls another module, which commits its own
      // transaction before the first one ends: on a single-connection engine shared by
      // both modules the inner transaction would wait for the outer forever.
      await orders.db.transaction().execute(async (outer) => {
        await outer.insertInto('t').values({ v: 1 }).execute();
        await stock.db.transaction().execute((inner) => inner.insertInto('t').values({ v: 2 }).execute());
        await outer.insertInto('t').values({ v: 3 }).execute();
      });
      expect((await orders.db.selectFrom('t').select('v').orderBy('v').execute()).map((r) => r.v)).toEqual([1, 3]);
      // Each module's unqualified table is its own schema's.
      expect((await stock.db.selectFrom('t').select('v').execute()).map((r) => r.v)).toEqual([2]);
    } finally {
      await orders.close();
      await stock.close();
    }
  });

  it('stops the server when the last database of the owning process closes', async () => {
    const first = await openModuleDatabase('alpha', { kind: 'embedded', dataDir });
    const second = await openModuleDatabase('beta', { kind: 'embedded', dataDir });
    const pid = await serverPid();
    await first.close();
    expect(isAlive(pid)).toBe(true);
    await sql`select 1`.execute(second.db);
    await second.close();
    expect(isAlive(pid)).toBe(false);
  });

  it('another process joins the running server and leaves it running; a server whose owner was killed is adopted', async () => {
    const script = `
      const { acquireEmbeddedPostgres } = await import(${JSON.stringify(new URL('./embedded-postgres.ts', import.meta.url).href)});
      const server = await acquireEmbeddedPostgres(${JSON.stringify(dataDir)});
      console.log(JSON.stringify({ owned: server.owned }));
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const firstLine = await new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(d.toString())));
    expect(JSON.parse(firstLine)).toEqual({ owned: true });
    const pid = await serverPid();

    // While the owner lives, this process joins without taking ownership.
    const joined = await acquireEmbeddedPostgres(dataDir);
    expect(joined.owned).toBe(false);
    await releaseEmbeddedPostgres(dataDir);
    expect(isAlive(pid)).toBe(true);

    // The owner dies without stopping the server: the next process adopts it and stops it.
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(isAlive(pid)).toBe(true);
    const adopted = await acquireEmbeddedPostgres(dataDir);
    expect(adopted.owned).toBe(true);
    expect(await serverPid()).toBe(pid);
    await releaseEmbeddedPostgres(dataDir);
    expect(isAlive(pid)).toBe(false);
  });
});
