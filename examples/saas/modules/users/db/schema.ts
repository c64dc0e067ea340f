import type { ColumnType } from 'kysely';

/** The users module's tables, in its own schema `users`. */
export interface UsersDb {
  users: {
    id: string;
    email: string;
    name: string;
    password_hash: string;
    created_at: ColumnType<Date, Date, never>;
    updated_at: Date;
  };
}
