import { createRequire } from 'node:module';

// JavaScript, not next.config.ts: the root tsc checks every .ts under examples/, and Next's
// types would change process.env's type for the whole repository.
const framework = createRequire(import.meta.url)('@cleavejs/core/package.json');

/** @type {import('next').NextConfig} */
const config = {
  // Cleave and its drivers run as Node loads them, not bundled: the framework starts worker
  // threads and child processes, loads drivers lazily, and keeps one service per process.
  // Node resolves @cleavejs/core to its built dist/ (`cleave-source` is the monorepo's
  // condition, for tests run from sources). A workspace link is bundled whatever this list
  // says (vercel/next.js#84388), so its own dependencies are listed too: without them
  // `next build` compiles every one of them (hono, kysely, OpenTelemetry…).
  serverExternalPackages: [
    '@cleavejs/core',
    // swagger-ui-dist stays bundled: the framework reads its files from where it resolves
    // (createRequire().resolve), which Turbopack rewrites into a module id for an external.
    ...Object.keys(framework.dependencies).filter((name) => name !== 'swagger-ui-dist'),
    ...Object.keys(framework.peerDependencies),
    // The reference app's own drivers (media's worker pool, image codec, mail).
    'piscina', 'sharp', 'nodemailer',
  ],
  // The root tsc and eslint check this app with the rest of the repository.
  typescript: { ignoreBuildErrors: true },
  // A build here is a fresh one (CI) or reused whole (the test): no cache to write for the next.
  experimental: { turbopackFileSystemCacheForBuild: false },
};

export default config;
