import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { THUMBNAIL_WIDTHS } from '../types/image.ts';

export interface Thumbnail {
  readonly variant: string;
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

export interface Thumbnails {
  readonly width: number;
  readonly height: number;
  readonly thumbnails: readonly Thumbnail[];
}

/**
 * Worker threads for image work (piscina): decoding and resizing never run on the event
 * loop of the service hosting media. One thread per core but one, so the service keeps a
 * core for its requests; `MEDIA_WORKER_THREADS` overrides (e.g. where media runs alone on
 * its own machine). Threads start on first use and leave when idle.
 */
export function workerThreads(env: NodeJS.ProcessEnv = process.env): number {
  const configured = Number(env.MEDIA_WORKER_THREADS);
  if (Number.isInteger(configured) && configured > 0) return configured;
  return Math.max(1, availableParallelism() - 1);
}

let pool: Piscina | undefined;

function thumbnailPool(): Piscina {
  pool ??= new Piscina({
    filename: new URL('./thumbnail-worker.mjs', import.meta.url).href,
    minThreads: 0,
    maxThreads: workerThreads(),
    idleTimeout: 5_000,
    // Uploads beyond what the threads can take wait in the queue; the inbox is the real backlog.
    maxQueue: 'auto',
  });
  return pool;
}

/** The upload's dimensions and its thumbnails, made off the event loop. Rejects when the bytes do not decode. */
export function makeThumbnails(data: Uint8Array): Promise<Thumbnails> {
  return thumbnailPool().run({ data, widths: THUMBNAIL_WIDTHS });
}
