import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join, resolve } from 'node:path';

/**
 * A V8 CPU profile of this process over one timed window only (`node --cpu-prof` covers
 * the whole run: set-up, warm-up and the other scenarios too). Written as
 * `<dir>/<name>.cpuprofile`, readable with `tsx bench/lib/profile-top.ts`.
 */
export class WindowProfile {
  readonly #session = new Session();

  private constructor(
    private readonly file: string,
  ) {}

  /** Starts profiling when `dir` is set; otherwise returns undefined and costs nothing. */
  static async start(dir: string | undefined, name: string): Promise<WindowProfile | undefined> {
    if (!dir) return undefined;
    mkdirSync(resolve(dir), { recursive: true });
    const profile = new WindowProfile(join(resolve(dir), `${name}.cpuprofile`));
    profile.#session.connect();
    await profile.#session.post('Profiler.enable');
    await profile.#session.post('Profiler.start');
    return profile;
  }

  async stop(): Promise<string> {
    const { profile } = await this.#session.post('Profiler.stop');
    this.#session.disconnect();
    writeFileSync(this.file, JSON.stringify(profile));
    return this.file;
  }
}
