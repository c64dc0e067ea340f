/**
 * The notes module's contract: the only file other modules may import.
 */
import { defineContract, operation } from '@cleavejs/core';
import { z } from 'zod';

export const Note = z.object({
  id: z.uuid(),
  text: z.string(),
  createdAt: z.iso.datetime(),
});
export type Note = z.infer<typeof Note>;

export const notes = defineContract('notes', {
  operations: {
    createNote: operation({
      input: z.object({ text: z.string().trim().min(1).max(1000) }).strict(),
      output: Note,
      http: { method: 'POST', path: '/notes', status: 201, auth: 'public', summary: 'Write a note' },
    }),
    getNote: operation({
      input: z.object({ id: z.uuid() }).strict(),
      output: Note,
      idempotent: true,
      http: { method: 'GET', path: '/notes/:id', auth: 'public', summary: 'One note' },
    }),
    listNotes: operation({
      input: z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) }).strict(),
      output: z.object({ items: z.array(Note) }),
      idempotent: true,
      http: { method: 'GET', path: '/notes', auth: 'public', summary: 'The newest notes' },
    }),
  },
  errors: {
    NOTE_NOT_FOUND: { status: 404, title: 'No such note' },
  },
});
