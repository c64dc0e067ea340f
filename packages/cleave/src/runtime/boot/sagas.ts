import { SagaRunner } from '../../saga/saga-runner.ts';
import type { ModuleRuntime } from '../module-runtime.ts';
import type { ServiceBoot } from './service-boot.ts';

/** A saga runner per hosted module that owns sagas; each resumes the sagas a previous run left unfinished. */
export function wireSagas(boot: ServiceBoot, modules: ReadonlyMap<string, ModuleRuntime>): void {
  for (const definition of boot.hosted.filter((d) => d.sagas.length > 0)) {
    const host = modules.get(definition.name) as ModuleRuntime;
    const runner = new SagaRunner(host, definition.sagas);
    const unsubscribe = host.onCommitted((effects) => {
      if (effects.sagas > 0) runner.wake();
    });
    runner.start();
    boot.closers.add(`saga runner ${definition.name}`, async () => {
      unsubscribe();
      await runner.stop();
    });
  }
}
