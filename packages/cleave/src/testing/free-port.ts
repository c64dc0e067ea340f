export { freePort } from '../util/free-port.ts';
