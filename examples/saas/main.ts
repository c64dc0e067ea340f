/**
 * `npm start`: the reference system as a modular monolith on embedded defaults
 * (PGlite under .data/, or PostgreSQL when DATABASE_URL is set).
 */
import { settingsFromEnv, startService } from 'cleave';
import { app } from './app.ts';
import { monolith } from './topologies/monolith.ts';

const service = await startService({ app, topology: monolith, settings: settingsFromEnv() });
console.log(`Cleave ${app.name} is listening: API at ${service.url}/api/v1 (OpenAPI: ${service.url}/api/v1/openapi.json)`);

let signals = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (++signals > 1) process.exit(1); // a second signal: stop waiting
    service.stop().then(() => process.exit(0), (err: unknown) => {
      console.error(err);
      process.exit(1);
    });
  });
}
