#!/usr/bin/env node
// The framework is plain JavaScript (dist/); the app's own TypeScript (cleave.config.ts
// and its modules) is loaded through tsx when installed, see cli/typescript-loader.
await import('../dist/cli/main.js');
