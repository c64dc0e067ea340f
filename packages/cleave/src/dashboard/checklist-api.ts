import type { Env, Hono, MiddlewareHandler } from 'hono';
import { errors } from '../errors/framework-errors.ts';

export const CHECKLIST_API_PATH = '/_cleave/api/checklist';

/** The readiness checklist as `cleave check --json` has it (check/checklist.ts), typed here only as far as the page reads it. */
export interface ChecklistView {
  readonly groups: readonly { readonly name: string; readonly items: readonly { readonly item: string; readonly status: 'met' | 'unmet' | 'unknown'; readonly evidence: readonly string[] }[] }[];
  readonly verdict: { readonly decision: string; readonly words: string };
}

/**
 * Computes the checklist. The check reads the app's source (TypeScript's resolver), so it
 * lives above the runtime: `cleave start` passes it in; a service started without it
 * (an embedding test) answers 404 with how to get one.
 */
export type ChecklistSource = () => Promise<ChecklistView>;

/**
 * Answers are kept this long: the check parses the app's source with TypeScript (seconds
 * on a loaded machine, in the gateway's process), which a page refresh should not redo;
 * the config it reads was loaded at start anyway.
 */
const FRESH_MS = 300_000;

/** `GET /_cleave/api/checklist`: computed on first request (nothing at boot), then cached briefly. */
export function mountChecklistApi<E extends Env>(app: Hono<E>, source: ChecklistSource | undefined, guard: MiddlewareHandler): void {
  let cached: { at: number; report: Promise<ChecklistView> } | undefined;
  app.get(CHECKLIST_API_PATH, guard, async (c) => {
    if (source === undefined) throw errors.NOT_FOUND('this service was started without the checklist: `cleave start` provides it, `cleave check` prints it');
    if (cached === undefined || Date.now() - cached.at > FRESH_MS) {
      const report = source();
      cached = { at: Date.now(), report };
      report.catch(() => (cached = undefined));
    }
    return c.json(await cached.report);
  });
}
