import type { Reporter, TestModule } from 'vitest/node';

/**
 * Ends the run with one plain line, `N passed, N failed, N skipped`, that any CI can
 * read, and names the suites skipped for want of a server URL (they say why in their
 * describe title: "needs DATABASE_URL").
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown> = []): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const skippedSuites = new Set<string>();
    // A failed beforeAll/afterAll or a file that does not load fails no test (its tests
    // are skipped): count each such error, so the line never says 0 failed on a red run.
    let outsideTests = 0;
    for (const module of testModules) {
      outsideTests += module.errors().length;
      for (const suite of module.children.allSuites()) outsideTests += suite.errors().length;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else {
          skipped++;
          const suite = test.parent.type === 'suite' ? test.parent.fullName : module.moduleId;
          if (/needs [A-Z_]+_(URL|PATH)\b/.test(suite)) skippedSuites.add(suite.split(' > ')[0] ?? suite);
        }
      }
    }
    if (skippedSuites.size > 0) {
      console.log(`\nSkipped, for want of a server (set the URL to run them):\n${[...skippedSuites].map((s) => `  - ${s}`).join('\n')}`);
    }
    // Unhandled errors fail the run though no test failed: count them, so the line agrees.
    if (unhandledErrors.length > 0) console.log(`\n${unhandledErrors.length} unhandled error(s) outside tests: counted as failed`);
    if (outsideTests > 0) console.log(`\n${outsideTests} hook or file error(s) outside tests: counted as failed`);
    console.log(`\n${passed} passed, ${failed + unhandledErrors.length + outsideTests} failed, ${skipped} skipped`);
  }
}
