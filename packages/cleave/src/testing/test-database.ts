import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * A fresh, empty database on the server named by `serverUrl`, so every suite run starts
 * clean and leaves nothing behind. Returns its URL and a drop function.
 */
export async function createTestDatabase(serverUrl: string, prefix = 'cleave_test'): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      try {
        await client.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}
