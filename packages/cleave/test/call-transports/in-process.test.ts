import { createTracer, disabledTracer } from '../../src/telemetry/tracer.ts';
import { InProcessTransport } from '../../src/transport/in-process.ts';
import { callTransportConformance } from './conformance.ts';
import { callerSide, echoRuntime, Probe } from './test-app.ts';

// One service hosting both modules: echo is reached by a function call.
for (const tracing of ['tracing off', 'tracing on'] as const) {
  callTransportConformance(`in-process (${tracing})`, async () => {
    const tracer = tracing === 'tracing on' ? createTracer({ service: 'one' }) : disabledTracer;
    const probe = new Probe();
    const side = callerSide(new InProcessTransport(echoRuntime(probe, tracer)), probe, tracer);
    return {
      caller: side.caller,
      probe,
      teardown: async () => {
        await side.router.close();
        await tracer.shutdown();
      },
    };
  });
}
