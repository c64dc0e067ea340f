import { callTransportConformance } from './conformance.ts';
import { CALLER_SERVICE, callerKey, httpCaller, startEchoService } from './http-wiring.ts';
import { Probe } from './test-app.ts';

// Two services: echo behind its internal listener, client calling it over HTTP.
for (const tracing of ['tracing on', 'tracing off'] as const) {
  callTransportConformance(`http (${tracing})`, async () => {
    const key = await callerKey();
    const probe = new Probe();
    const callee = await startEchoService({ probe, knownKeys: new Map([[CALLER_SERVICE, key.publicJwk]]), tracing: tracing === 'tracing on' });
    const side = httpCaller({ baseUrl: callee.url, key, probe, tracing: tracing === 'tracing on' });
    return {
      caller: side.caller,
      probe,
      teardown: async () => {
        await side.close();
        await callee.close();
      },
    };
  });
}
