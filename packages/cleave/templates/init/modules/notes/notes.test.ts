import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp } from '@cleavejs/core/testing';
import type { TestApp } from '@cleavejs/core/testing';
import { app } from '../../app.ts';
import { monolith } from '../../topologies/monolith.ts';
import { split } from '../../topologies/split.ts';

// The same tests on both topologies: the module's code does not change when it is split.
for (const topology of [monolith, split]) {
  void describe(`notes (${topology.name})`, () => {
    let testApp: TestApp;
    before(async () => {
      testApp = await startTestApp({ app, topology });
    });
    after(() => testApp.stop());

    void it('creates a note and reads it back', async () => {
      const created = await testApp.request('/api/v1/notes', { method: 'POST', json: { text: 'Hello, Cleave' } });
      assert.equal(created.status, 201);
      const note = (await created.json()) as { id: string; text: string };
      assert.equal(note.text, 'Hello, Cleave');

      const read = await testApp.request(`/api/v1/notes/${note.id}`);
      assert.equal(read.status, 200);
      assert.deepEqual(await read.json(), note);

      const list = (await (await testApp.request('/api/v1/notes')).json()) as { items: { id: string }[] };
      assert.ok(list.items.some((n) => n.id === note.id));
    });

    void it('answers problem+json with the field for bad input', async () => {
      const res = await testApp.request('/api/v1/notes', { method: 'POST', json: { text: '' } });
      assert.equal(res.status, 400);
      assert.equal(res.headers.get('content-type'), 'application/problem+json');
      const problem = (await res.json()) as { code: string; errors: { path: string }[] };
      assert.equal(problem.code, 'cleave.VALIDATION_FAILED');
      assert.deepEqual(problem.errors.map((e) => e.path), ['text']);
    });

    void it('answers 404 with the module\'s error code for an unknown note', async () => {
      const res = await testApp.request('/api/v1/notes/00000000-0000-4000-8000-000000000000');
      assert.equal(res.status, 404);
      assert.equal(((await res.json()) as { code: string }).code, 'notes.NOTE_NOT_FOUND');
    });
  });
}
