import type { FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { AppError, type ErrorDefinition } from '../../../platform/errors/app-error';
import type { StorageService } from '../../../platform/storage/storage.service';
import { ifRangeAllows, parseRange, type ByteRange } from './byte-range';

/** A stored media object: its storage key, its size and what it is. */
export interface MediaObject {
  sha256: string;
  bytes: number;
  contentType: string;
}

export interface MediaResponseOptions {
  /** how long the client may keep the answer: the seconds left of the link (clamped at 0) */
  maxAgeSeconds: number;
  /** the catalogue's `range_not_satisfiable` (416), thrown with `Content-Range: bytes *\/<size>` */
  rangeNotSatisfiable: ErrorDefinition;
  /** defaults to the request's own method */
  method?: 'GET' | 'HEAD';
}

/** The ETag of an object: its content hash, so it is strong by construction. */
export const mediaEtag = (sha256: string): string => `"${sha256}"`;

const single = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value.join(', ') : value;

/** `If-None-Match` (RFC 9110 §13.1.2): `*` or a list of tags, compared weakly. */
function noneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const opaque = (tag: string) => (tag.startsWith('W/') ? tag.slice(2) : tag);
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || opaque(t) === opaque(etag);
  });
}

/**
 * An answer without a body. An empty stream rather than no payload: on the HEAD route Fastify
 * derives from a GET route, an absent payload makes it rewrite Content-Length to 0, while a
 * stream leaves the header as set here (the HTTP layer sends no body for HEAD or 304 anyway).
 */
const noBody = (): Readable => Readable.from([]);

/**
 * Answers a media request from storage, as `send`/S3 do: `Accept-Ranges`, a strong `ETag`,
 * `Cache-Control: private, max-age`, then
 * - `If-None-Match` matching the ETag → 304 (GET and HEAD);
 * - a GET with a satisfiable single `Range` (and `If-Range`, if sent, equal to the ETag) → 206
 *   with `Content-Range`, streamed by `storage.readRange`;
 * - a GET with an unsatisfiable `Range` → throws `rangeNotSatisfiable` carrying
 *   `Content-Range: bytes *\/<size>` (before any header is set, for the error filter);
 * - otherwise 200 with the whole object streamed by `storage.read`.
 * HEAD answers the headers of the GET without a Range (RFC 9110 §14.2 defines ranges for GET only)
 * and never opens the object. The body is never held in memory; a client that goes away
 * mid-body has its storage stream destroyed by Fastify (the file or the S3 socket is released).
 */
export async function sendMedia(
  request: FastifyRequest,
  reply: FastifyReply,
  object: MediaObject,
  storage: StorageService,
  options: MediaResponseOptions,
): Promise<FastifyReply> {
  const method = options.method ?? (request.method === 'HEAD' ? 'HEAD' : 'GET');
  const etag = mediaEtag(object.sha256);
  const maxAge = Math.max(0, Math.floor(options.maxAgeSeconds));
  const common = {
    'Accept-Ranges': 'bytes',
    ETag: etag,
    'Cache-Control': `private, max-age=${maxAge}`,
  };

  if (noneMatch(single(request.headers['if-none-match']), etag)) {
    return reply.code(304).headers(common).send(noBody());
  }

  const rangeHeader = single(request.headers.range);
  const range: ByteRange =
    method === 'GET' && rangeHeader !== undefined && ifRangeAllows(single(request.headers['if-range']), etag)
      ? parseRange(rangeHeader, object.bytes)
      : { kind: 'full' };
  if (range.kind === 'unsatisfiable') {
    throw new AppError(options.rangeNotSatisfiable, {
      headers: { 'Content-Range': `bytes */${object.bytes}` },
    });
  }

  if (method === 'HEAD') {
    return reply
      .code(200)
      .headers({ ...common, 'Content-Type': object.contentType, 'Content-Length': String(object.bytes) })
      .send(noBody());
  }
  // the object is opened before any header is set: a missing one fails as a plain error answer
  if (range.kind === 'partial') {
    const body = await storage.readRange(object.sha256, range.start, range.end);
    return reply
      .code(206)
      .headers({
        ...common,
        'Content-Type': object.contentType,
        'Content-Range': `bytes ${range.start}-${range.end}/${object.bytes}`,
        'Content-Length': String(range.end - range.start + 1),
      })
      .send(body);
  }
  const body = await storage.read(object.sha256);
  return reply
    .code(200)
    .headers({ ...common, 'Content-Type': object.contentType, 'Content-Length': String(object.bytes) })
    .send(body);
}
