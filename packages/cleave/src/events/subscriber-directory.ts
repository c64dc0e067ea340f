import type { AnyModule } from '../module/define-module.ts';

/** Which modules subscribe to each event name, from the app's modules. */
export function subscribersByEvent(app: { readonly modules: readonly AnyModule[] }): ReadonlyMap<string, readonly string[]> {
  const map = new Map<string, string[]>();
  for (const module of app.modules) {
    for (const { event } of module.subscriptions) {
      const list = map.get(event.name) ?? [];
      list.push(module.name);
      map.set(event.name, list);
    }
  }
  return map;
}
