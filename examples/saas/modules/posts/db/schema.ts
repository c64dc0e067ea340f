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
    /** Null while scheduled; set by the publishPost job at `publishAt`. */
    published_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
    /** The latest ready image (JSON text, a PostImage), from media's image.ready.v1. */
    image: ColumnType<string | null, string | null | undefined, string | null>;
    /** The seq of the image.ready.v1 event that set `image`. */
    image_seq: ColumnType<string, string | undefined, string>;
  };
  /** Author names learned from users' events, newer than any copy fetched by a call. */
  authors: {
    author_id: string;
    name: string;
    /** The publisher's seq of the event that set `name` (bigint, read as a string). */
    seq: ColumnType<string, string | undefined, string>;
  };
}
