import { checkBoundaries } from '../../check/boundaries.ts';
import type { ServiceBoot } from './service-boot.ts';
import { bootErrors } from '../../errors/boot-errors.ts';

/** Refuses to boot a service whose modules import another module's internals. */
export async function assertBoundaries(boot: ServiceBoot): Promise<void> {
  const hosted = new Set(boot.spec.modules);
  const located = boot.app.modules.filter((m): m is typeof m & { dir: string } => m.dir !== undefined);
  if (!located.some((m) => hosted.has(m.name))) return;
  // Every module folder is scanned for owners, so imports into remote modules are caught too.
  const all = await checkBoundaries(located.map((m) => ({ name: m.name, dir: m.dir, dependsOn: m.dependsOn })));
  const violations = all.filter((v) => hosted.has(v.module));
  if (violations.length > 0) {
    throw bootErrors.BOUNDARIES_BROKEN(`module boundaries are broken:\n  ${violations.map((v) => v.message).join('\n  ')}`);
  }
}
