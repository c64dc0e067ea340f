import type { ColumnType } from 'kysely';

/** The media module's tables, in its own schema `media`. Bytes live in the database: one store to back up, same on PGlite and PostgreSQL. */
export interface MediaDb {
  images: {
    id: string;
    /** A post id of the posts module: no foreign key crosses modules. */
    post_id: string;
    owner_id: string;
    content_type: string;
    size_bytes: number;
    original: Uint8Array;
    etag: string;
    status: 'processing' | 'ready' | 'failed';
    width: number | null;
    height: number | null;
    failure: string | null;
    created_at: ColumnType<Date, Date, never>;
  };
  thumbnails: {
    image_id: string;
    variant: string;
    content_type: string;
    width: number;
    height: number;
    data: Uint8Array;
    etag: string;
  };
}
