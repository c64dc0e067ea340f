import { defineErrors } from './define-errors.ts';

/** The framework's own error registry. Codes are stable: clients may match on them. */
export const errors = defineErrors('cleave', {
  VALIDATION_FAILED: { status: 400, title: 'The request is not valid' },
  MALFORMED_JSON: { status: 400, title: 'The request body is not valid JSON' },
  UNAUTHENTICATED: { status: 401, title: 'Authentication is required' },
  FORBIDDEN: { status: 403, title: 'Not allowed' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  CONFLICT: { status: 409, title: 'Conflict' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'The request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  INTERNAL: { status: 500, title: 'Internal error' },
  UNDECLARED_DEPENDENCY: { status: 500, title: 'Call to a module that was not declared as a dependency' },
  UNKNOWN_OPERATION: { status: 500, title: 'Unknown operation' },
  OUTPUT_INVALID: { status: 500, title: 'An operation returned a value that breaks its contract' },
  DEPENDENCY_UNAVAILABLE: { status: 503, title: 'A dependency is unavailable' },
  SHUTTING_DOWN: { status: 503, title: 'The service is shutting down' },
  DEADLINE_EXCEEDED: { status: 504, title: 'The deadline was exceeded' },
});
