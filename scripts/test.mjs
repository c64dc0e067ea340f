#!/usr/bin/env node
// `npm test`: build the framework package (spawned `cleave` processes run its dist/),
// type-check and lint (as CI does), then every test suite.
// Suites that need a real server run when its URL is set (DATABASE_URL, NATS_URL,
// REDIS_URL, RABBITMQ_URL) and are reported as skipped otherwise.
import { spawnSync } from 'node:child_process';

const steps = [
  ['tsc', ['-p', 'packages/cleave/tsconfig.build.json']],
  ['tsc', ['--noEmit', '-p', 'tsconfig.json']],
  ['eslint', ['.']],
  ['vitest', ['run', ...process.argv.slice(2)]],
];
const servers = { DATABASE_URL: 'PostgreSQL', NATS_URL: 'NATS', REDIS_URL: 'Redis', RABBITMQ_URL: 'RabbitMQ' };
const missing = Object.entries(servers).filter(([env]) => !process.env[env]);
if (missing.length > 0) {
  console.log(`Not set: ${missing.map(([env, name]) => `${env} (${name})`).join(', ')} — suites that need them will be skipped.`);
}
for (const [bin, args] of steps) {
  console.log(`\n> ${bin} ${args.join(' ')}`);
  const result = spawnSync(`node_modules/.bin/${bin}`, args, { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
