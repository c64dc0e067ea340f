import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ApiClient } from '../support/client.ts';
import type { Session } from '../support/client.ts';
import type { Target } from '../support/target.ts';
import { waitFor } from '../support/wait-for.ts';
import { expectProblem } from './expect-problem.ts';

/** A real image of the given format, made here (no fixtures to keep in sync). */
async function image(format: 'png' | 'jpeg' | 'webp', width = 1600, height = 1000): Promise<Uint8Array> {
  const buffer = await sharp({ create: { width, height, channels: 3, background: { r: 200, g: 60, b: 30 } } })
    .composite([{ input: Buffer.from(`<svg width="${width}" height="${height}"><circle cx="${width / 2}" cy="${height / 2}" r="${height / 3}" fill="#1e6"/></svg>`) }])
    .toFormat(format)
    .toBuffer();
  return new Uint8Array(buffer);
}

interface PostImage {
  id: string;
  width: number;
  height: number;
  urls: Record<'original' | 'small' | 'medium' | 'large', string>;
}

/**
 * Media end to end: uploads of raw bytes, thumbnails made in the background and shown
 * on the post when ready (eventual consistency), variants served with caching headers,
 * and every refusal as problem+json with a stable code.
 */
export function mediaSuite(target: () => Target): void {
  const client = () => new ApiClient(target().baseUrl);
  const newPost = async (c: ApiClient, s: Session) => {
    const res = await c.request('/api/v1/posts', { token: s.accessToken, body: { title: 'With a picture', body: 'b' } });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const upload = (c: ApiClient, s: Session | undefined, postId: string, bytes: Uint8Array | string, contentType: string) =>
    c.request(`/api/v1/posts/${postId}/image`, { method: 'POST', rawBody: bytes, headers: { 'content-type': contentType }, ...(s ? { token: s.accessToken } : {}) });
  const fetchBytes = async (c: ApiClient, path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(c.baseUrl + path, { headers });
    return { status: res.status, headers: res.headers, bytes: new Uint8Array(await res.arrayBuffer()) };
  };
  const readyImage = async (c: ApiClient, s: Session, postId: string): Promise<PostImage> => {
    let image: PostImage | null = null;
    await waitFor('the post to show its thumbnails', async () => {
      image = (await c.request(`/api/v1/posts/${postId}`, { token: s.accessToken })).body.image as PostImage | null;
      return image !== null;
    }, 20_000, 50);
    return image as unknown as PostImage;
  };

  describe('media', () => {
    it('an upload answers 202 at once; the post shows thumbnails when they are made (image.ready.v1)', async () => {
      const c = client();
      const s = await c.signup('Photographer');
      const postId = await newPost(c, s);
      const png = await image('png');
      const res = await upload(c, s, postId, png, 'image/png');
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      expect(res.body).toMatchObject({ postId, status: 'processing', contentType: 'image/png', bytes: png.byteLength });

      const shown = await readyImage(c, s, postId);
      expect(shown).toMatchObject({ id: res.body.imageId, width: 1600, height: 1000, urls: res.body.urls });
      // The feed carries it too: the same Post everywhere.
      const feed = await c.request(`/api/v1/posts?authorId=${s.userId}`, { token: s.accessToken });
      expect(feed.body.items[0].image).toEqual(shown);

      // Each thumbnail fits its box, keeps the aspect ratio and is WebP.
      for (const [variant, box] of [['small', 128], ['medium', 512], ['large', 1024]] as const) {
        const thumb = await fetchBytes(c, shown.urls[variant]);
        expect(thumb.status).toBe(200);
        expect(thumb.headers.get('content-type')).toBe('image/webp');
        const meta = await sharp(thumb.bytes).metadata();
        expect(meta.format).toBe('webp');
        expect(meta.width).toBe(box);
        expect(meta.height).toBe(Math.round((box * 1000) / 1600));
      }
    });

    it('serves the original byte for byte, with a strong ETag, immutable caching and 304 on If-None-Match', async () => {
      const c = client();
      const s = await c.signup();
      const postId = await newPost(c, s);
      const jpeg = await image('jpeg', 300, 200);
      const res = await upload(c, s, postId, jpeg, 'image/jpeg');
      expect(res.status).toBe(202);
      const original = await fetchBytes(c, res.body.urls.original);
      expect(original.status).toBe(200);
      expect(original.headers.get('content-type')).toBe('image/jpeg');
      expect(Buffer.from(original.bytes).equals(Buffer.from(jpeg))).toBe(true);
      const etag = original.headers.get('etag');
      expect(etag).toMatch(/^"[\w-]{16,}"$/);
      expect(original.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      const again = await fetchBytes(c, res.body.urls.original, { 'if-none-match': etag as string });
      expect(again.status).toBe(304);
      expect(again.bytes.byteLength).toBe(0);
      expect(again.headers.get('etag')).toBe(etag);
      // A small image is never enlarged: its "large" thumbnail keeps its own size.
      const shown = await readyImage(c, s, postId);
      const large = await fetchBytes(c, shown.urls.large);
      expect((await sharp(large.bytes).metadata()).width).toBe(300);
      expect((await fetchBytes(c, shown.urls.large, { 'if-none-match': large.headers.get('etag') as string })).status).toBe(304);
    });

    it('sniffs the bytes: a type the header does not match, or bytes that are no image, get 415', async () => {
      const c = client();
      const s = await c.signup();
      const postId = await newPost(c, s);
      const webp = await image('webp', 64, 64);
      const lying = await upload(c, s, postId, webp, 'image/png');
      expectProblem(lying, 415, 'media.UNSUPPORTED_IMAGE');
      expect(lying.body).toMatchObject({ declared: 'image/png', sniffed: 'image/webp' });
      expectProblem(await upload(c, s, postId, '<svg onload="alert(1)"/>', 'image/png'), 415, 'media.UNSUPPORTED_IMAGE');
      // A type media does not take at all is refused at the gateway, before any call.
      const svg = await upload(c, s, postId, '<svg/>', 'image/svg+xml');
      expectProblem(svg, 415, 'cleave.UNSUPPORTED_MEDIA_TYPE');
      expect(svg.body.accepted).toEqual(['image/png', 'image/jpeg', 'image/webp']);
      expect((await upload(c, s, postId, webp, 'image/webp')).status).toBe(202);
    });

    it('refuses a body over the size limit with 413, and an empty one with 400', async () => {
      const c = client();
      const s = await c.signup();
      const postId = await newPost(c, s);
      const huge = new Uint8Array(8 * 1024 * 1024 + 1);
      huge.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      const res = await upload(c, s, postId, huge, 'image/png');
      expectProblem(res, 413, 'cleave.PAYLOAD_TOO_LARGE');
      expect(res.body.limitBytes).toBe(8 * 1024 * 1024);
      expectProblem(await upload(c, s, postId, new Uint8Array(0), 'image/png'), 400, 'cleave.VALIDATION_FAILED');
      // JSON routes keep their own, smaller limit.
      expectProblem(await c.request('/api/v1/posts', { token: s.accessToken, rawBody: JSON.stringify({ title: 't', body: 'x'.repeat(200_000) }), headers: { 'content-type': 'application/json' } }), 413, 'cleave.PAYLOAD_TOO_LARGE');
    });

    it("only the post's author may set its image; an unknown post or image is 404", async () => {
      const c = client();
      const author = await c.signup();
      const other = await c.signup();
      const postId = await newPost(c, author);
      const png = await image('png', 32, 32);
      expectProblem(await upload(c, undefined, postId, png, 'image/png'), 401, 'cleave.UNAUTHENTICATED');
      expectProblem(await upload(c, other, postId, png, 'image/png'), 403, 'media.NOT_AUTHOR');
      expectProblem(await upload(c, author, 'no-such-post', png, 'image/png'), 404, 'media.POST_NOT_FOUND');
      expectProblem(await c.request('/api/v1/media/no-such-image/small'), 404, 'media.IMAGE_NOT_FOUND');
      expectProblem(await c.request('/api/v1/media/no-such-image/huge'), 400, 'cleave.VALIDATION_FAILED');
    });

    it('bytes that look like a PNG but do not decode: accepted, then no thumbnails (IMAGE_NOT_READY, failed)', async () => {
      const c = client();
      const s = await c.signup();
      const postId = await newPost(c, s);
      const broken = new Uint8Array(2_000).fill(7);
      broken.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      const res = await upload(c, s, postId, broken, 'image/png');
      expect(res.status).toBe(202);
      await waitFor('the image to be marked failed', async () => {
        const small = await c.request(res.body.urls.small);
        return small.status === 404 && small.body.code === 'media.IMAGE_NOT_READY' && small.body.imageStatus === 'failed';
      }, 20_000, 50);
      expect((await c.request(`/api/v1/posts/${postId}`, { token: s.accessToken })).body.image).toBeNull();
    });
  });
}
