import { ValidateIf } from 'class-validator';

/**
 * A field that may be left out but, when present, must satisfy its rules — `null` included.
 * `@IsOptional()` skips validation for `null` too, which on a PATCH would let `null` reach a
 * required column. Use this for fields that cannot be cleared.
 */
export const IsOmittable = () => ValidateIf((_object: object, value: unknown) => value !== undefined);
