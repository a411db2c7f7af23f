import { HttpException, HttpStatus } from '@nestjs/common';
import { AppError, ErrorDefinition } from './app-error';
import { GeneralErrors } from './general.errors';
import { AccessErrors } from '../access/access.errors';
import { isDatabaseUnavailable } from '../database/db-errors';

export interface ErrorResponse {
  status: number;
  body: Record<string, unknown>;
  headers: Record<string, string>;
  /** the cause must be logged (500s): the body never carries it */
  logCause: boolean;
}

/** A stored idempotent error response, replayed verbatim. */
export class ReplayedErrorResponse extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super('replayed response');
  }
}

function envelope(
  def: ErrorDefinition,
  requestId: string,
  extra: Partial<ErrorResponse> = {},
): ErrorResponse {
  return {
    status: def.status,
    body: { message: def.message, code: def.code, request_id: requestId, ...(extra.body ?? {}) },
    headers: extra.headers ?? {},
    logCause: extra.logCause ?? false,
  };
}

/** Fastify's own errors (body parsing, limits) arrive with FST_ codes and a status. */
function fromFastifyError(err: { code?: string; statusCode?: number }): ErrorDefinition | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return GeneralErrors.invalidJson;
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return GeneralErrors.payloadTooLarge;
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return GeneralErrors.unsupportedMediaType;
  }
  if (err instanceof SyntaxError && err.statusCode === 400) return GeneralErrors.invalidJson;
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    if (err.statusCode === 413) return GeneralErrors.payloadTooLarge;
    if (err.statusCode === 415) return GeneralErrors.unsupportedMediaType;
    return GeneralErrors.badRequest;
  }
  return undefined;
}

function fromHttpException(err: HttpException): ErrorDefinition {
  switch (err.getStatus()) {
    case HttpStatus.NOT_FOUND:
      return GeneralErrors.routeNotFound;
    case HttpStatus.METHOD_NOT_ALLOWED:
      return GeneralErrors.methodNotAllowed;
    case HttpStatus.UNAUTHORIZED:
      return AccessErrors.unauthenticated;
    case HttpStatus.FORBIDDEN:
      return GeneralErrors.forbidden;
    case HttpStatus.PAYLOAD_TOO_LARGE:
      return GeneralErrors.payloadTooLarge;
    case HttpStatus.UNSUPPORTED_MEDIA_TYPE:
      return GeneralErrors.unsupportedMediaType;
    case HttpStatus.TOO_MANY_REQUESTS:
      return GeneralErrors.tooManyRequests;
    default:
      return err.getStatus() < 500 ? GeneralErrors.badRequest : GeneralErrors.internalError;
  }
}

/** The one mapping from anything thrown to the documented envelope. */
export function toErrorResponse(err: unknown, requestId: string): ErrorResponse {
  if (err instanceof AppError) {
    const { errors, context, headers, message } = err.details;
    return envelope(err.definition, requestId, {
      body: {
        ...(message ? { message } : {}),
        ...(errors ? { errors } : {}),
        ...(context ?? {}),
        request_id: requestId,
      },
      headers,
      logCause: err.status >= 500,
    });
  }
  if (err instanceof ReplayedErrorResponse) {
    return {
      status: err.status,
      body: err.body,
      headers: { 'Idempotent-Replayed': 'true' },
      logCause: false,
    };
  }
  if (isDatabaseUnavailable(err)) {
    return envelope(GeneralErrors.serviceUnavailable, requestId, {
      headers: { 'Retry-After': '5' },
      logCause: true,
    });
  }
  if (err instanceof HttpException) {
    const def = fromHttpException(err);
    return envelope(def, requestId, { logCause: def.status >= 500 });
  }
  if (err && typeof err === 'object') {
    const def = fromFastifyError(err);
    if (def) return envelope(def, requestId);
  }
  return envelope(GeneralErrors.internalError, requestId, { logCause: true });
}
