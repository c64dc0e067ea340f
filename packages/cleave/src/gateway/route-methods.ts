import type { HttpMethod } from '../module/contract.ts';

/**
 * The methods served on each route pattern, to tell "no such path" (404) from "no such
 * method on this path" (405 with `Allow`, RFC 9110 §15.5.6). Consulted only when no
 * route matched, so it costs nothing on the served path.
 */
export class RouteMethods {
  readonly #patterns = new Map<string, { readonly regex: RegExp; readonly methods: Set<string> }>();

  add(method: HttpMethod, path: string): void {
    let entry = this.#patterns.get(path);
    if (entry === undefined) {
      // `/posts/:id` → one non-empty segment per parameter, as Hono matches it.
      const source = path.split('/').map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/');
      entry = { regex: new RegExp(`^${source}/?$`), methods: new Set() };
      this.#patterns.set(path, entry);
    }
    entry.methods.add(method);
    // HEAD is answered wherever GET is (Hono does so).
    if (method === 'GET') entry.methods.add('HEAD');
  }

  /** Methods allowed on `path`, or none when no route has this path. */
  allowed(path: string): string[] {
    const methods = new Set<string>();
    for (const { regex, methods: these } of this.#patterns.values()) if (regex.test(path)) for (const m of these) methods.add(m);
    return [...methods].sort();
  }
}
