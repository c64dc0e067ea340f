import { fileURLToPath } from 'node:url';

/**
 * The file of the code that called `fn`, read from V8's structured stack trace.
 * `defineModule` uses it to know a module's folder without being told: the module is
 * defined in its own folder (`modules/<name>/module.ts`), so the call site names the
 * folder exactly, whether the file runs under tsx, vitest or as built JavaScript.
 * Undefined when no frame has a file (eval, REPL).
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- any function can be the frame to skip.
export function callerFile(fn: Function): string | undefined {
  const original = Error.prepareStackTrace;
  const holder: { stack?: NodeJS.CallSite[] } = {};
  try {
    Error.prepareStackTrace = (_error, frames) => frames;
    Error.captureStackTrace(holder, fn);
    const frames = holder.stack ?? [];
    for (const frame of frames) {
      const name = frame.getFileName() ?? frame.getScriptNameOrSourceURL();
      if (!name || name.startsWith('node:')) continue;
      return name.startsWith('file:') ? fileURLToPath(name) : name;
    }
    return undefined;
  } finally {
    Error.prepareStackTrace = original;
  }
}
