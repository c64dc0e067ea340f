import type { AppDefinition } from '../runtime/define-app.ts';
import type { Topology } from '../runtime/topology.ts';

const id = (name: string) => name.replace(/[^A-Za-z0-9_]/g, '_');

/**
 * The module graph as Mermaid: a solid arrow for operation calls, a dotted one for event
 * subscriptions (both are declared in dependsOn), the gateway's aggregates as callers.
 */
export function moduleGraphMermaid(app: AppDefinition, calls: readonly { module: string; target: string }[]): string {
  const lines = ['flowchart LR'];
  for (const m of app.modules) lines.push(`  ${id(m.name)}[${m.name}]`);
  for (const m of app.modules) {
    const called = new Set(calls.filter((c) => c.module === m.name).map((c) => c.target));
    const subscribed = new Set(m.subscriptions.map((s) => s.event.module));
    for (const dep of m.dependsOn) {
      if (called.has(dep) || !subscribed.has(dep)) lines.push(`  ${id(m.name)} -->|calls| ${id(dep)}`);
      if (subscribed.has(dep)) lines.push(`  ${id(m.name)} -.->|subscribes| ${id(dep)}`);
    }
  }
  for (const a of app.gateway.aggregates ?? []) {
    lines.push(`  ${id(`aggregate_${a.name}`)}{{"${a.http.method} ${a.http.path}"}}`);
    for (const dep of a.dependsOn) lines.push(`  ${id(`aggregate_${a.name}`)} -->|calls| ${id(dep.$name)}`);
  }
  return lines.join('\n');
}

/** A topology as Mermaid: one box per service with the modules it hosts, the gateway first. */
export function topologyMermaid(app: AppDefinition, topology: Topology): string {
  const lines = ['flowchart LR', '  client((client))'];
  const hostOf = new Map<string, string>();
  for (const [service, spec] of Object.entries(topology.services)) {
    const roles = spec.roles?.length ? ` (${spec.roles.join(', ')})` : '';
    lines.push(`  subgraph ${id(`svc_${service}`)}["${service}${roles}${spec.port ? ` :${spec.port}` : ''}"]`);
    if (spec.modules.length === 0) lines.push(`    ${id(`svc_${service}_edge`)}[edge]`);
    for (const m of spec.modules) {
      lines.push(`    ${id(`${topology.name}_${m}`)}[${m}]`);
      hostOf.set(m, service);
    }
    lines.push('  end');
    if (spec.roles?.includes('gateway')) lines.push(`  client --> ${id(`svc_${service}`)}`);
  }
  const crossing = new Set<string>();
  const gateway = Object.entries(topology.services).find(([, s]) => s.roles?.includes('gateway'))?.[0];
  const routed = app.modules.filter((m) => Object.values(m.contract.$operations).some((op) => op.http)).map((m) => m.name);
  const aggregated = (app.gateway.aggregates ?? []).flatMap((a) => a.dependsOn.map((c) => c.$name as string));
  for (const m of new Set([...routed, ...aggregated])) {
    const to = hostOf.get(m);
    if (gateway && to && to !== gateway) crossing.add(`  ${id(`svc_${gateway}`)} -->|routes| ${id(`svc_${to}`)}`);
  }
  for (const m of app.modules) {
    for (const dep of m.dependsOn) {
      const [from, to] = [hostOf.get(m.name), hostOf.get(dep)];
      if (from && to && from !== to) crossing.add(`  ${id(`svc_${from}`)} -->|${m.name} → ${dep}| ${id(`svc_${to}`)}`);
    }
  }
  return [...lines, ...[...crossing].sort()].join('\n');
}
