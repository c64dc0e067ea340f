import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exportContract } from '@cleavejs/core';
import { describe, expect, it } from 'vitest';
import { app } from '../app.ts';
import { polyglot } from '../topologies/polyglot.ts';

describe('the exported media contract the Python service reads', () => {
  it('is what `cleave contract export media --topology polyglot` makes from the TypeScript contract', async () => {
    const committed = JSON.parse(await readFile(join(import.meta.dirname, '../polyglot/media/contract.json'), 'utf8')) as unknown;
    // If this fails, regenerate: node packages/cleave/bin/cleave.mjs contract export media --topology polyglot > examples/saas/polyglot/media/contract.json
    expect(committed).toEqual(exportContract(app, polyglot, 'media'));
  });

  it('names the codes, callers and subscribers the protocol needs', () => {
    const exported = exportContract(app, polyglot, 'media') as { callers: string[]; errors: Record<string, { code: string; status: number }>; events: Record<string, { subscribers: string[] }>; operations: Record<string, { input: { properties: Record<string, unknown> } }> };
    expect(exported.callers).toContain('gateway');
    expect(exported.errors.UNSUPPORTED_IMAGE).toEqual({ code: 'media.UNSUPPORTED_IMAGE', status: 415, title: expect.any(String) });
    expect(exported.events['image.ready.v1']?.subscribers).toEqual(['posts']);
    expect(exported.events['image.uploaded.v1']?.subscribers).toEqual(['media']);
    expect(exported.operations.uploadPostImage?.input.properties.body).toEqual({ type: 'string', format: 'binary', minBytes: 1, maxBytes: 8 * 1024 * 1024 });
  });
});
