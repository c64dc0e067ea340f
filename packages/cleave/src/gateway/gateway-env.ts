import type { AuthenticatedUser } from '../module/request-context.ts';
import type { TraceContext } from '../telemetry/trace-context.ts';

/** Per-request values the gateway's middleware set for the handlers after them. */
export interface GatewayEnv {
  Variables: {
    trace: TraceContext;
    user: AuthenticatedUser | undefined;
    clientIp: string;
    /** Remaining requests under the tightest rate-limit policy seen so far. */
    rateLimitRemaining: number | undefined;
  };
}
