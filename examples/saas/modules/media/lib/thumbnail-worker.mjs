// Runs in a piscina worker thread, never on the event loop of the service hosting media.
// Plain JavaScript: a worker thread loads its file with Node alone, without the app's
// TypeScript loader.
import sharp from 'sharp';

// One libvips thread per worker: the pool's size is the CPU budget, not pool x cores.
sharp.concurrency(1);
sharp.cache(false);

// About 40 megapixels: refuses decompression bombs before they take the memory.
const MAX_INPUT_PIXELS = 40_000_000;

/**
 * @param {{ data: Uint8Array, widths: Record<string, number> }} task
 * @returns {Promise<{ width: number, height: number, thumbnails: { variant: string, width: number, height: number, data: Uint8Array }[] }>}
 */
export default async function makeThumbnails({ data, widths }) {
  const source = sharp(data, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error' }).rotate();
  const meta = await source.metadata();
  const thumbnails = [];
  for (const [variant, width] of Object.entries(widths)) {
    const { data: out, info } = await source
      .clone()
      .resize({ width, height: width, fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 80 })
      .toBuffer({ resolveWithObject: true });
    thumbnails.push({ variant, width: info.width, height: info.height, data: new Uint8Array(out.buffer, out.byteOffset, out.byteLength) });
  }
  return { width: meta.autoOrient?.width ?? meta.width ?? 0, height: meta.autoOrient?.height ?? meta.height ?? 0, thumbnails };
}
