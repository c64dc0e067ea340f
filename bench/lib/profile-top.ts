/**
 * The top frames of a V8 CPU profile (`node --cpu-prof`), by self time, and the same time
 * summed per package or source folder, so a profile can be read (and quoted in a report)
 * without a browser:
 *
 *   tsx bench/lib/profile-top.ts <file.cpuprofile> [frames=25]
 */
import { readFileSync } from 'node:fs';
import { isMain } from './load.ts';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Where a frame's code lives: an npm package, a folder of the framework, node itself, or V8. */
function owner(url: string, name: string): string {
  if (url === '') return name.startsWith('(') ? name : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const own = /packages\/cleave\/(?:src|dist)\/([^/]+)\//.exec(url);
  if (own) return `cleave/${own[1]}`;
  if (url.startsWith('node:')) return url.split('/')[0]!.replace(/:.*$/, ':') + url.slice(5).split('/')[0];
  return url.replace(/^file:\/\/.*?\/(examples|bench)\//, '$1/');
}

export function topFrames(profile: Profile, limit = 25): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  const perOwner = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const dt = profile.timeDeltas[i] ?? 0;
    if (!node) return;
    total += dt;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.replace(/^.*\/(node_modules|packages|examples|bench)\//, '$1/');
    const key = `${functionName || '(anonymous)'}  ${file}${url ? `:${lineNumber + 1}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    const o = owner(url, functionName);
    perOwner.set(o, (perOwner.get(o) ?? 0) + dt);
  });
  const rows = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`);
  return [`self time, ${(total / 1e6).toFixed(1)} s sampled`, ...rows(self, limit), '', 'by package / folder', ...rows(perOwner, 15)].join('\n');
}

if (isMain(import.meta.url)) {
  const [file, frames] = process.argv.slice(2);
  if (!file) throw new Error('usage: tsx bench/lib/profile-top.ts <file.cpuprofile> [frames]');
  console.log(topFrames(JSON.parse(readFileSync(file, 'utf8')) as Profile, Number(frames ?? 25)));
}
