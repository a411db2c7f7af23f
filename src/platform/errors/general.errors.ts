import { defineErrors } from './app-error';

export const GeneralErrors = defineErrors('general', {
  invalidJson: {
    code: 'invalid_json',
    status: 400,
    message: 'Request body is not valid JSON.',
    description: 'Malformed JSON or a body that is not an object where one is expected.',
  },
  badRequest: {
    code: 'bad_request',
    status: 400,
    message: 'Bad request.',
    description:
      'Malformed syntax that is not a validation failure (e.g. a malformed id in the path, an unparseable multipart body, an unsupported content type).',
  },
  validationFailed: {
    code: 'validation_failed',
    status: 422,
    message: 'Validation failed.',
    description:
      'One or more fields failed validation; `errors` maps each field path to an array of messages.',
  },
  payloadTooLarge: {
    code: 'payload_too_large',
    status: 413,
    message: 'Request body is too large.',
    description: 'A JSON request body over the 1 MB body limit (uploads have their own limit and code).',
  },
  unsupportedMediaType: {
    code: 'unsupported_media_type',
    status: 415,
    message: 'Unsupported content type.',
    description: 'The request body is not JSON (or multipart/form-data where an upload is expected).',
  },
  forbidden: {
    code: 'forbidden',
    status: 403,
    message: 'You do not have permission to perform this action.',
    description:
      "The caller's role, permission or token scopes do not include what the endpoint requires. Generic by design: the required permission is not leaked.",
  },
  routeNotFound: {
    code: 'route_not_found',
    status: 404,
    message: 'Endpoint not found.',
    description:
      'No route matches the path, or a privileged (admin) route is called by a non-admin: 404, not 403, so probes learn nothing.',
  },
  methodNotAllowed: {
    code: 'method_not_allowed',
    status: 405,
    message: 'Method not allowed on this resource.',
    description: 'The path exists but not for this HTTP method. The `Allow` header lists the methods it has.',
  },
  staleVersion: {
    code: 'stale_version',
    status: 409,
    message: 'This resource was modified by another user. Please reload and try again.',
    description: 'Optimistic concurrency: the If-Match / version sent is not the current one.',
  },
  tooManyRequests: {
    code: 'too_many_requests',
    status: 429,
    message: 'Too Many Attempts.',
    description:
      'A request rate limit was exceeded. Body carries `retry_after` (seconds); headers carry Retry-After and X-RateLimit-Limit/Remaining/Reset.',
  },
  internalError: {
    code: 'internal_error',
    status: 500,
    message: 'An unexpected server-side issue occurred.',
    description:
      'Any unhandled error. Never leaks the underlying message or a stack trace; the request id is logged with the cause.',
  },
  serviceUnavailable: {
    code: 'service_unavailable',
    status: 503,
    message: 'Service temporarily unavailable.',
    description:
      'A dependency (the database) is unreachable; GET /api/v1/health reports which check failed. Carries Retry-After.',
  },
  maintenanceMode: {
    code: 'maintenance_mode',
    status: 503,
    message: 'Platform is undergoing maintenance.',
    description:
      'An admin switched maintenance mode on; every non-admin, non-health request gets this with Retry-After.',
  },
  requestTimeout: {
    code: 'request_timeout',
    status: 504,
    message: 'Request took too long to process.',
    description: "Handling exceeded the server's request deadline (REQUEST_TIMEOUT_MS).",
  },
});
