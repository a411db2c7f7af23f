import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { routeFlags } from './route-flags';

const STRONG = /^"(\d+)"$/;
const WEAK = /^W\/"(\d+)"$/;
const MAX_VERSION = 2_147_483_647;

/**
 * Optimistic concurrency. Versioned resources carry `version`; the response's `ETag` is that
 * version, and a write may send it back as `If-Match`. The check itself is part of the write's
 * conditional update in the database (see the repositories), never a read before the write.
 *
 * Returns undefined when no precondition is given (or `*`), and -1 for a malformed one (which
 * then matches no version: stale_version).
 */
export function parseIfMatch(header: string | string[] | undefined): number | undefined {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (value === undefined || value === '' || value === '*') return undefined;
  const match = STRONG.exec(value) ?? WEAK.exec(value);
  const version = match ? Number(match[1]) : -1;
  // versions are PostgreSQL integers: a larger number is no version of ours (and must not reach a query)
  return version <= MAX_VERSION ? version : -1;
}

export const etagOf = (version: number): string => `"${version}"`;

/** The If-Match precondition of the request (see parseIfMatch). */
export const IfMatch = createParamDecorator((_data: unknown, ctx: ExecutionContext): number | undefined =>
  parseIfMatch(ctx.switchToHttp().getRequest<FastifyRequest>().headers['if-match']),
);

/** preSerialization hook of @ETagged routes (see route-flags.ts): a success's body version. */
export function etagHook(
  _req: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
  done: (err: Error | null, payload: unknown) => void,
): void {
  const version = (payload as { version?: unknown } | null)?.version;
  if (reply.statusCode < 300 && typeof version === 'number') void reply.header('ETag', etagOf(version));
  done(null, payload);
}

/** The response carries `ETag` (its body's version); on a controller, every route of it. */
export const ETagged = () => routeFlags({ etag: true });

/** The write honours `If-Match` (409 stale_version when it is not the current version). */
export const AcceptsIfMatch = () =>
  ApiHeader({
    name: 'If-Match',
    required: false,
    description:
      'The ETag you last read; the write is refused with 409 stale_version if the resource changed since.',
  });
