import type { TraceContext } from './trace-context.ts';

/** A started span and the trace context its children should carry. */
export interface ActiveSpan {
  readonly trace: TraceContext;
  end(error?: unknown): void;
  setAttribute(key: string, value: string | number | boolean): void;
  /** Renames the span once more is known (the gateway learns the route after routing). */
  updateName(name: string): void;
}
