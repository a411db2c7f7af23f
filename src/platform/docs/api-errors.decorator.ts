import { ApiExtension } from '@nestjs/swagger';
import type { ErrorDefinition } from '../errors/app-error';

export const ERROR_CODES_EXTENSION = 'x-error-codes';

/**
 * The catalogue errors a route can answer besides the generic ones every route of its kind has
 * (auth, validation, rate limit, 5xx), which the document builder adds by itself.
 */
export const ApiErrors = (...definitions: ErrorDefinition[]) =>
  ApiExtension(
    ERROR_CODES_EXTENSION,
    definitions.map((d) => d.code),
  );
