import type { z } from 'zod';
import { errors } from './framework-errors.ts';
import type { CleaveError } from './cleave-error.ts';

/** One field-level problem, as sent to clients in `errors` of a 400 problem. */
export interface FieldError {
  /** Dotted path into the input (`items.0.quantity`); empty for the whole value. */
  readonly path: string;
  readonly message: string;
  readonly code: string;
}

export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
    code: issue.code,
  }));
}

export function validationFailed(error: z.ZodError, where: string): CleaveError {
  const fields = fieldErrors(error);
  const summary = fields.map((f) => (f.path ? `${f.path}: ${f.message}` : f.message)).join('; ');
  return errors.VALIDATION_FAILED(`${where}: ${summary}`, { errors: fields });
}
