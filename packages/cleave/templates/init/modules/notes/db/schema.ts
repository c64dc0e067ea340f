import type { ColumnType } from '@cleavejs/core';

/** The tables of the notes module, in its own schema. No other module reads them. */
export interface NotesDb {
  notes: {
    id: string;
    text: string;
    created_at: ColumnType<Date, Date, never>;
  };
}
