/**
 * `@cleavejs/core/testing`: what a test of a Cleave app needs, in process.
 *
 * @example
 * import { startTestApp } from '@cleavejs/core/testing';
 * const testApp = await startTestApp({ app });
 * const res = await testApp.request('/api/v1/greetings/Ada');
 */
export { startTestApp } from './start-test-app.ts';
export type { TestApp, TestAppOptions, TestRequestInit } from './start-test-app.ts';
export { createTestDatabase } from './test-database.ts';
export { freePort } from './free-port.ts';
