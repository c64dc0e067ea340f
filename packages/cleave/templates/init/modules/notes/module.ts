import { defineModule } from '@cleavejs/core';
import { handlers } from './api/handlers.ts';
import { migrations } from './db/migrations.ts';
import type { NotesDb } from './db/schema.ts';
import { notes } from './index.ts';

/** The notes module: its handlers, and the migrations of its own schema `notes`. */
export const notesModule = defineModule<typeof notes, NotesDb>(notes, {
  migrations,
  handlers,
  dir: import.meta.dirname,
});
