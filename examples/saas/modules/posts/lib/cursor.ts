import { posts } from '../index.ts';

/** A keyset position in the feed: the last item's creation time and id. */
export interface FeedPosition {
  readonly createdAt: Date;
  readonly id: string;
}

export function encodeCursor(position: FeedPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt.toISOString(), position.id])).toString('base64url');
}

export function decodeCursor(cursor: string): FeedPosition {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    const date = new Date(String(createdAt));
    if (typeof id !== 'string' || Number.isNaN(date.getTime())) throw new Error('shape');
    return { createdAt: date, id };
  } catch {
    throw posts.$errors.BAD_CURSOR('pass the nextCursor of a previous page unchanged');
  }
}
