import { checkBoundaries } from '@cleavejs/core';
import { describe, expect, it } from 'vitest';
import { app } from '../app.ts';

describe('architecture of the saas app', () => {
  it('every module declares its folder, so the boundary check sees all of them', () => {
    expect(app.modules.length).toBeGreaterThan(0);
    expect(app.modules.filter((m) => m.dir === undefined).map((m) => m.name)).toEqual([]);
  });

  it('modules import each other only through declared contracts', async () => {
    const located = app.modules.flatMap((m) => (m.dir === undefined ? [] : [{ name: m.name, dir: m.dir, dependsOn: m.dependsOn }]));
    expect(located).toHaveLength(app.modules.length);
    const violations = await checkBoundaries(located);
    expect(violations).toEqual([]);
  });
});
