import type { ColumnType } from 'kysely';

/** The posts module's tables, in its own schema `posts`. */
export interface PostsDb {
  posts: {
    id: string;
    title: string;
    body: string;
    /** A user id of the users module: no foreign key crosses modules. */
    author_id: string;
    author_name: string;
    created_at: ColumnType<Date, Date, never>;
    updated_at: Date;
  };
  /** Author names learned from users' events, newer than any copy fetched by a call. */
  authors: {
    author_id: string;
    name: string;
    /** The publisher's seq of the event that set `name` (bigint, read as a string). */
    seq: ColumnType<string, string | undefined, string>;
  };
}
