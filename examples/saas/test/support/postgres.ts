export { createTestDatabase } from '@cleavejs/core/testing';
