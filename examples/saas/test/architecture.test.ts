import { checkArchitecture } from '@cleavejs/core';
import { describe, expect, it } from 'vitest';
import { app } from '../app.ts';

describe('architecture of the saas app', () => {
  it('every module is located without being told its folder', () => {
    expect(app.modules.map((m) => m.dir?.split('/').slice(-2).join('/'))).toEqual(app.modules.map((m) => `modules/${m.name}`));
  });

  it('modules reach each other only through declared contracts and never name another schema', async () => {
    const report = await checkArchitecture(app.modules);
    expect(report.unchecked).toEqual([]);
    expect([...report.imports, ...report.calls, ...report.schemaReferences].map((v) => v.message)).toEqual([]);
    expect(report.modules).toHaveLength(app.modules.length);
    expect(report.ok).toBe(true);
  });
});
