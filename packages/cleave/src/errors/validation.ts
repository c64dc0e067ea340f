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

// A problem echoes the input it refuses; 8,000 unknown keys made a 174 KB answer.
const MAX_FIELD_ERRORS = 20;
const MAX_TEXT = 200;

const cap = (text: string) => (text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text);

export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.slice(0, MAX_FIELD_ERRORS).map((issue) => ({
    path: cap(issue.path.map(String).join('.')),
    message: cap(issue.message),
    code: issue.code,
  }));
}

/** A 400 with the first field errors (at most 20, each text capped); `omittedErrors` counts the rest. */
export function validationFailed(error: z.ZodError, where: string): CleaveError {
  const fields = fieldErrors(error);
  const omitted = error.issues.length - fields.length;
  const summary = fields.map((f) => (f.path ? `${f.path}: ${f.message}` : f.message)).join('; ');
  return errors.VALIDATION_FAILED(`${where}: ${summary}`, { errors: fields, ...(omitted > 0 ? { omittedErrors: omitted } : {}) });
}
