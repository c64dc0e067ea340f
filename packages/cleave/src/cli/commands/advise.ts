import { readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { advise, hopLatency, suggestedTopology } from '../../check/advise.ts';
import type { Advice } from '../../check/advise.ts';
import type { StoredSpan } from '../../telemetry/span-store.ts';
import { loadConfig } from '../load-config.ts';

/** `cleave advise --spans <file>`: what extracting each module would cost, from recorded traces. */
export function registerAdvise(program: Command): void {
  program
    .command('advise')
    .description('rank modules for extraction from recorded spans: traffic, added hops x measured hop latency, blast radius, the seed\'s reasons')
    .requiredOption('--spans <file>', 'spans as JSON (an array of stored spans, or { spans: [...] })')
    .option('--bench <file>', 'hop latency from bench/http-call-latency.ts results', 'bench/results/http-call-latency.json')
    .option('--write-topology <file>', 'write the suggested topology (core monolith + the recommended extraction)')
    .option('--json', 'print the advice as JSON')
    .action(async (options: { spans: string; bench: string; writeTopology?: string; json?: boolean }, command: Command) => {
      const configFile = resolve(command.optsWithGlobals<{ config: string }>().config);
      const config = await loadConfig(configFile);
      const raw = JSON.parse(await readFile(resolve(options.spans), 'utf8')) as StoredSpan[] | { spans?: StoredSpan[] };
      const spans = Array.isArray(raw) ? raw : (raw.spans ?? []);
      if (spans.length === 0) throw new Error(`${options.spans} holds no spans`);
      const modules = config.app.modules.map((m) => m.name);
      const result = advise(spans, modules, {
        hop: hopLatency(resolve(dirname(configFile), options.bench)),
        ...(config.readiness?.scalingNeeds ? { scalingNeeds: config.readiness.scalingNeeds } : {}),
      });
      if (options.json) console.log(JSON.stringify(result, null, 2));
      else print(result);
      if (options.writeTopology) {
        if (!result.recommendation) throw new Error('no extraction is recommended: no topology written');
        const file = resolve(options.writeTopology);
        await writeFile(file, suggestedTopology(modules, result.recommendation.modules, basename(file).replace(/\.(c|m)?ts$/, '')));
        console.log(`✓ wrote ${options.writeTopology}`);
      }
    });
}

function print(a: Advice): void {
  const pct = (n: number) => `${Math.round(n * 100)}%`;
  console.log(`${a.traffic.requests} requests, ${a.traffic.spans} spans; hop latency p50 ${a.hop.p50Ms} ms, p99 ${a.hop.p99Ms} ms (${a.hop.source})\n`);
  console.log('module          requests  calls in/req  calls out/req  sync depth  cpu share  events in  events out');
  for (const m of a.traffic.modules) {
    console.log(`${m.module.padEnd(16)}${pct(m.requestShare).padStart(8)}  ${String(m.callsInPerRequest).padStart(12)}  ${String(m.callsOutPerRequest).padStart(13)}  ${String(m.maxSyncDepth).padStart(10)}  ${pct(m.cpuShare).padStart(9)}  ${String(m.eventsIn).padStart(9)}  ${String(m.eventsOut).padStart(10)}`);
  }
  console.log('\nextraction candidates, best first:');
  a.ranked.forEach((c, i) => {
    console.log(`${i + 1}. ${c.modules.join(' + ')}: +${c.addedHopsPerRequest} hops/request = +${c.addedLatencyP50Ms} ms p50, +${c.addedLatencyP99Ms} ms p99; ${pct(c.requestsFailingWhenDown)} of requests need it up`);
    for (const r of c.reasons) console.log(`     reason: ${r}`);
  });
  console.log(`\n${a.words}`);
}
