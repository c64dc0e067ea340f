#!/usr/bin/env node
// The framework ships TypeScript sources; tsx compiles them (and the app's) on load.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
