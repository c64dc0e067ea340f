import { defineApp } from '@cleavejs/core';
import { notesModule } from './modules/notes/module.ts';

/**
 * The app: every module it has. Add a module here and place it in each topology.
 * The gateway serves the modules' public routes; add `gateway: { identity }` (signup and
 * login operations of a users module) or `gateway: { authenticate }` for signed-in users.
 */
export const app = defineApp({
  name: '{{name}}',
  version: '0.1.0',
  modules: [notesModule],
});
