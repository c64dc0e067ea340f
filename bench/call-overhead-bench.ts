/**
 * The cost of one cross-module call: `tsx bench/call-overhead-bench.ts`. BENCH_N (calls
 * per sample), BENCH_SAMPLES and BENCH_WARMUP override the defaults.
 */
import { join } from 'node:path';
import { callOverhead } from './call-overhead.ts';
import { isMain } from './lib/load.ts';
import { writeJson } from './lib/measure.ts';

export async function run(): Promise<void> {
  const options = {
    n: Number(process.env.BENCH_N ?? 100_000),
    samples: Number(process.env.BENCH_SAMPLES ?? 9),
    warmup: Number(process.env.BENCH_WARMUP ?? 2),
  };

  const { text, json } = await callOverhead(options);
  const file = join(import.meta.dirname, 'results', 'call-overhead.json');
  writeJson(file, json);
  console.log(`call overhead: ns per call, median of ${options.samples} samples of ${options.n} calls (${json.cpus} cores, node ${json.node})\n`);
  console.log(text);
  console.log(`\n${JSON.stringify(json, null, 2)}`);
  console.log(`\nwritten to ${file}`);
}

if (isMain(import.meta.url)) await run();
