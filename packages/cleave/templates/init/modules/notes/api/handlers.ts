import { randomUUID } from 'node:crypto';
import type { Handlers } from '@cleavejs/core';
import type { NotesDb } from '../db/schema.ts';
import { notes } from '../index.ts';
import type { Note } from '../index.ts';

const toNote = (row: { id: string; text: string; created_at: Date }): Note => ({
  id: row.id,
  text: row.text,
  createdAt: new Date(row.created_at).toISOString(),
});

export const handlers: Handlers<typeof notes, NotesDb> = {
  async createNote({ text }, ctx) {
    const row = { id: randomUUID(), text, created_at: new Date() };
    await ctx.db.insertInto('notes').values(row).execute();
    ctx.log.info({ noteId: row.id }, 'note created');
    return toNote(row);
  },

  async getNote({ id }, ctx) {
    const row = await ctx.db.selectFrom('notes').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notes.$errors.NOTE_NOT_FOUND(`no note with id ${id}`);
    return toNote(row);
  },

  async listNotes({ limit }, ctx) {
    const rows = await ctx.db.selectFrom('notes').selectAll().orderBy('created_at', 'desc').limit(limit).execute();
    return { items: rows.map(toNote) };
  },
};
