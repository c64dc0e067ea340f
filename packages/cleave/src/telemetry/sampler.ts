import { configErrors } from '../errors/boot-errors.ts';
import { diag } from '@opentelemetry/api';
import { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';
import type { Sampler } from '@opentelemetry/sdk-trace-base';

/**
 * The sampler named by OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG, with the values and
 * defaults of the OpenTelemetry SDK configuration spec (parentbased_always_on; ratio 1),
 * built from the SDK's own samplers. (The SDK does this inside its TracerProvider, which
 * Cleave does not use on the hot path — see docs/adr/0010-tracing-hot-path.md.)
 */
export function samplerFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): Sampler {
  const name = env.OTEL_TRACES_SAMPLER?.trim() || 'parentbased_always_on';
  const root = rootSampler(name, env);
  return name.startsWith('parentbased_') ? new ParentBasedSampler({ root }) : root;
}

/**
 * Whether a configured sampler follows the parent's decision (the `parentbased_*` ones with
 * their default delegates): then a child span is sampled exactly when its parent is, and
 * the tracer skips the sampler call — ParentBasedSampler would re-validate both ids and
 * need a Context object per span just to reach that answer.
 */
export function followsParent(env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  return (env.OTEL_TRACES_SAMPLER?.trim() || 'parentbased_always_on').startsWith('parentbased_');
}

function rootSampler(name: string, env: Readonly<Record<string, string | undefined>>): Sampler {
  const ratio = () => {
    const raw = env.OTEL_TRACES_SAMPLER_ARG?.trim();
    const value = raw ? Number(raw) : Number.NaN;
    if (Number.isFinite(value) && value >= 0 && value <= 1) return value;
    if (raw) diag.error(`OTEL_TRACES_SAMPLER_ARG=${raw} is not a ratio in [0, 1]; using 1`);
    return 1;
  };
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio());
    case 'parentbased_always_on':
      return new AlwaysOnSampler();
    case 'parentbased_always_off':
      return new AlwaysOffSampler();
    case 'parentbased_traceidratio':
      return new TraceIdRatioBasedSampler(ratio());
    default:
      throw configErrors.SETTING_INVALID(`OTEL_TRACES_SAMPLER must be one of always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio (got "${name}")`);
  }
}
