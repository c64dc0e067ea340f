import type { AppDefinition } from '../runtime/define-app.ts';

/** Which modules subscribe to each event name, from the app definition. */
export function subscribersByEvent(app: AppDefinition): ReadonlyMap<string, readonly string[]> {
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
