import { configErrors } from '../errors/boot-errors.ts';

/**
 * Lets `cleave` import the app's TypeScript (cleave.config.ts and everything it imports).
 * The framework itself ships JavaScript; only the user's code needs a loader. tsx is an
 * optional peer dependency: installed, it is registered as an ESM hook; absent, Node's own
 * type stripping is used where the runtime has it (22.18+, 23.6+).
 */
let registered: Promise<void> | undefined;

export function loadTypeScript(): Promise<void> {
  return (registered ??= register());
}

async function register(): Promise<void> {
  try {
    const tsx = (await import('tsx/esm/api')) as { register: () => unknown };
    tsx.register();
    return;
  } catch (err) {
    if (!isModuleNotFound(err)) throw err;
  }
  const features = process.features as { typescript?: string | false };
  if (features.typescript) return;
  throw configErrors.TYPESCRIPT_LOADER_MISSING(
    `loading TypeScript needs tsx on Node ${process.versions.node}: npm install --save-dev tsx (or run Node 22.18 or later)`,
  );
}

function isModuleNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND';
}
