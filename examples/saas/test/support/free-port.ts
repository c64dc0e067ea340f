export { freePort } from '@cleavejs/core/testing';
