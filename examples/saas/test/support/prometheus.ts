import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.ts';
import { waitFor } from './wait-for.ts';

/** A real Prometheus server (the Debian package's binary) scraping `targets` every second. */
export async function startPrometheus(targets: readonly { job: string; url: string }[]) {
  const dir = await mkdtemp(join(tmpdir(), 'cleave-prometheus-'));
  const port = await freePort();
  const config = [
    'global:',
    '  scrape_interval: 1s',
    'scrape_configs:',
    ...targets.flatMap(({ job, url }) => [`  - job_name: ${job}`, '    metrics_path: /metrics', '    static_configs:', `      - targets: ['${new URL(url).host}']`]),
  ].join('\n');
  await writeFile(join(dir, 'prometheus.yml'), config);
  const child: ChildProcess = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitFor('Prometheus to be ready', async () => (await fetch(`${url}/-/ready`)).ok, 60_000);
  } catch (err) {
    await stop();
    throw err;
  }
  /** An instant query: the result vector. */
  const query = async (promql: string) => {
    const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await res.json()) as { status: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    if (body.status !== 'success') throw new Error(`query ${promql}: ${JSON.stringify(body)}`);
    return body.data.result;
  };
  return { url, query, stop };
}
