import { defineErrors } from './define-errors.ts';

/** The framework's own error registry. Codes are stable: clients may match on them. */
export const errors = defineErrors('cleave', {
  VALIDATION_FAILED: { status: 400, title: 'The request is not valid' },
  BAD_REQUEST: { status: 400, title: 'The request is not valid HTTP' },
  IDEMPOTENCY_KEY_INVALID: { status: 400, title: 'The Idempotency-Key header is not valid' },
  MALFORMED_JSON: { status: 400, title: 'The request body is not valid JSON' },
  UNAUTHENTICATED: { status: 401, title: 'Authentication is required' },
  FORBIDDEN: { status: 403, title: 'Not allowed' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  REQUEST_TIMEOUT: { status: 408, title: 'The request was not received in time' },
  CONFLICT: { status: 409, title: 'Conflict' },
  IDEMPOTENCY_IN_FLIGHT: { status: 409, title: 'A request with this Idempotency-Key is still being processed' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'The request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  EXPECTATION_FAILED: { status: 417, title: 'The expectation cannot be met' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'This Idempotency-Key was used for a different request' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  HEADERS_TOO_LARGE: { status: 431, title: 'The request headers are too large' },
  INTERNAL: { status: 500, title: 'Internal error' },
  UNDECLARED_DEPENDENCY: { status: 500, title: 'Call to a module that was not declared as a dependency' },
  UNKNOWN_OPERATION: { status: 500, title: 'Unknown operation' },
  OUTPUT_INVALID: { status: 500, title: 'An operation returned a value that breaks its contract' },
  DEPENDENCY_UNAVAILABLE: { status: 503, title: 'A dependency is unavailable' },
  SHUTTING_DOWN: { status: 503, title: 'The service is shutting down' },
  DEADLINE_EXCEEDED: { status: 504, title: 'The deadline was exceeded' },
});
