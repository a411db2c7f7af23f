import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors/app-error';
import { GeneralErrors } from '../errors/general.errors';

/**
 * Input no route should ever see, refused in one place for every route:
 * - NUL bytes (PostgreSQL text cannot hold them) and lone UTF-16 surrogates (not Unicode: they
 *   break encoders and the database driver) in any string or object key;
 * - JSON nested deeper than MAX_DEPTH (class-transformer recurses per level);
 * - arrays longer than MAX_ARRAY (the largest DTO cap, a playlist reorder; validating each of
 *   100,000 would cost seconds and answer megabytes).
 * Bodies answer validation_failed naming the field; paths, queries and cursors bad_request.
 */
export const MAX_DEPTH = 32;
export const MAX_ARRAY = 10_000;

// a NUL, a high surrogate not followed by a low one, or a low one not preceded by a high one
// eslint-disable-next-line no-control-regex -- NUL is exactly what this looks for
const BAD_STRING = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export const isHostileString = (s: string): boolean => BAD_STRING.test(s);

export interface HostileFinding {
  path: string;
  problem: 'string' | 'depth' | 'array';
}

/** The first hostile thing in a parsed value (depth-first, bounded by MAX_DEPTH), if any. */
export function findHostile(value: unknown, path = '', depth = 0): HostileFinding | undefined {
  if (typeof value === 'string') return isHostileString(value) ? { path, problem: 'string' } : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  if (depth >= MAX_DEPTH) return { path, problem: 'depth' };
  if (Array.isArray(value)) {
    if (value.length > MAX_ARRAY) return { path, problem: 'array' };
    for (let i = 0; i < value.length; i++) {
      const found = findHostile(value[i], path ? `${path}.${i}` : String(i), depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    const at = path ? `${path}.${key}` : key;
    if (isHostileString(key)) return { path: at, problem: 'string' };
    const found = findHostile(item, at, depth + 1);
    if (found) return found;
  }
  return undefined;
}

const MESSAGES: Record<HostileFinding['problem'], string> = {
  string: 'must not contain NUL characters or unpaired UTF-16 surrogates',
  depth: `must not be nested deeper than ${MAX_DEPTH} levels`,
  array: `must not have more than ${MAX_ARRAY} items`,
};

/** For a parsed body: the error to answer, if it holds anything hostile. */
export function hostileBodyError(body: unknown): AppError | undefined {
  const found = findHostile(body);
  if (!found) return undefined;
  if (found.problem === 'depth') {
    return new AppError(GeneralErrors.invalidJson, {
      message: `The JSON body is nested deeper than ${MAX_DEPTH} levels.`,
    });
  }
  return new AppError(GeneralErrors.validationFailed, {
    errors: { [found.path || 'body']: [MESSAGES[found.problem]] },
  });
}

/** preValidation hook: path parameters and the query string of every route. */
export function assertCleanUrlInput(req: FastifyRequest): void {
  for (const [where, value] of [
    ['path', req.params],
    ['query', req.query],
  ] as const) {
    const found = findHostile(value);
    if (found) {
      throw new AppError(GeneralErrors.badRequest, {
        message: `The ${where} parameter ${found.path || ''} ${MESSAGES[found.problem]}.`.replace(/ +/g, ' '),
      });
    }
  }
}
