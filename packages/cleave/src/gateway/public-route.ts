import type { z } from 'zod';
import type { HttpExposure } from '../module/contract.ts';

/**
 * One public route as the gateway serves it and the OpenAPI document describes it.
 * Both are built from the same list, so the document cannot drift from the routes.
 */
export interface PublicRoute {
  readonly operationId: string;
  readonly tag: string;
  readonly http: HttpExposure;
  readonly input: z.ZodType;
  /** Absent for 204 answers. */
  readonly output: z.ZodType | undefined;
  readonly description?: string | undefined;
  /** Errors the route may answer with besides the framework's own: the owning contract's registry. */
  readonly errors?: readonly RouteError[];
}

export interface RouteError {
  readonly code: string;
  readonly status: number;
  readonly title: string;
}

export const API_PREFIX = '/api/v1';
