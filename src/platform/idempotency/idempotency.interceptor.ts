import {
  CallHandler,
  ExecutionContext,
  HttpStatus,
  Injectable,
  Logger,
  NestInterceptor,
} from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { ModuleRef, Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { Observable, catchError, from, map, mergeMap, of, throwError } from 'rxjs';
import { AppConfig } from '../../config/config';
import { addSeconds, Clock } from '../clock/clock';
import { AppError } from '../errors/app-error';
import { ReplayedErrorResponse, toErrorResponse } from '../errors/error-response';
import { GeneralErrors } from '../errors/general.errors';
import { IdempotencyErrors } from './idempotency.errors';
import { IdempotencyRepository, IdempotencyScope } from './idempotency.repository';
import { REPLAY_SECRETS, redactSecrets, type ReplaySecrets } from './replay-secrets';

const MAX_KEY_LENGTH = 255;

/** JSON with sorted keys, so two bodies that differ only in key order hash the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

const fingerprint = (request: object): string =>
  createHash('sha256').update(canonical(request)).digest('hex');

/** Outcomes worth replaying: a request that ran to a final answer. */
function isStorable(status: number, code?: string): boolean {
  if (status >= 500) return false;
  if (status === HttpStatus.UNPROCESSABLE_ENTITY || status === HttpStatus.TOO_MANY_REQUESTS) return false;
  return code !== GeneralErrors.invalidJson.code && code !== GeneralErrors.badRequest.code;
}

/** What a multipart request was made of, once its parts have been read: fields and file digests. */
export interface MultipartFingerprint {
  fields: Record<string, unknown>;
  files: { field: string; filename: string; sha256: string }[];
}

/**
 * Called by a multipart handler once it has read (and stored) the parts, before any effect: the
 * key is claimed then, with the files' digests in the fingerprint. It throws to end the handler
 * when the key was already used (a replay, a reuse with other content, or one in progress).
 */
export type IdempotencyCheckpoint = (parts: MultipartFingerprint) => Promise<void>;

declare module 'fastify' {
  interface FastifyRequest {
    idempotencyCheckpoint?: IdempotencyCheckpoint;
  }
}

/** The checkpoint of this request (a no-op when it carries no Idempotency-Key). */
export const idempotencyCheckpoint = (req: FastifyRequest): IdempotencyCheckpoint =>
  req.idempotencyCheckpoint ?? (() => Promise.resolve());

/** Ends a multipart handler at its checkpoint with the stored answer. */
class Replay extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super('idempotent replay');
  }
}

/**
 * Idempotency keys, on the routes marked @Idempotent. A key belongs to (caller, method and
 * concrete path, key): the same key on /purchases/A/confirm and /purchases/B/confirm are two
 * keys. The fingerprint covers the body and the query string, and for multipart uploads the
 * text fields and the uploaded files' SHA-256 (known only once the parts are read, so such
 * handlers claim the key at their checkpoint, before any effect).
 *
 * The request deadline (route-hooks.ts) answers 504 without stopping the handler: this pipeline
 * still settles the claim when the handler finishes (its answer stored for replays, or the claim
 * released on an error that is not stored). Until then a retry meets
 * idempotency_request_in_progress, so the effect never runs twice while the first may still be
 * finishing.
 *
 * Secrets are never stored: every answer is redacted before it is kept (replay-secrets.ts), and a
 * route that answers a secret declares it (@Idempotent({ secrets })) with what its replays answer:
 * a refusal (idempotency_key_reused) or the resource read again, its secret included.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private readonly logger = new Logger(IdempotencyInterceptor.name);

  constructor(
    private readonly reflector: Reflector,
    private readonly repo: IdempotencyRepository,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly moduleRef: ModuleRef,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const header = req.headers['idempotency-key'];
    if (header === undefined) return next.handle();
    const key = Array.isArray(header) ? header[0] : header;
    if (key.length > MAX_KEY_LENGTH || key.trim() === '') throw new AppError(IdempotencyErrors.keyTooLong);

    const path = req.url.split('?')[0].replace(/(.)\/+$/, '$1');
    const scope: IdempotencyScope = {
      caller: req.principal ? `user:${req.principal.userId}` : `ip:${req.ip}`,
      route: `${req.method} ${path}`,
      key,
    };
    const successStatus =
      this.reflector.get<number | undefined>(HTTP_CODE_METADATA, context.getHandler()) ??
      (req.method === 'POST' ? HttpStatus.CREATED : HttpStatus.OK);

    const secrets = this.reflector.get<ReplaySecrets | undefined>(REPLAY_SECRETS, context.getHandler());
    const replay = (status: number, body: unknown): Observable<unknown> => {
      if (secrets && status < 400) return this.replaySecret(secrets, req, reply, body);
      reply.header('Idempotent-Replayed', 'true');
      if (status >= 400) throw new ReplayedErrorResponse(status, body as Record<string, unknown>);
      return of(body);
    };
    const store = (status: number, body: unknown) => {
      const redacted = redactSecrets(body, secrets?.fields);
      if (redacted.undeclared.length) {
        // redacted all the same; the route must declare them (its replays show the redacted value)
        this.logger.error(
          `${scope.route}: undeclared secret ${redacted.undeclared.join(', ')} in an idempotent response (stored redacted)`,
        );
      }
      return this.repo.complete(scope, status, redacted.body);
    };
    const settle = (handled: Observable<unknown>) =>
      handled.pipe(
        mergeMap(async (body: unknown) => {
          await store(successStatus, body);
          return body;
        }),
        catchError(async (err: unknown) => {
          const response = toErrorResponse(err, req.id);
          if (isStorable(response.status, response.body.code as string | undefined)) {
            await store(response.status, response.body);
          } else {
            await this.repo.release(scope);
          }
          throw err;
        }),
      );

    if (req.isMultipart()) {
      // The files are read by the handler: the key is claimed at its checkpoint.
      let claimed = false;
      req.idempotencyCheckpoint = async (parts) => {
        const outcome = await this.claim(scope, fingerprint({ query: req.query, multipart: parts }));
        if (outcome) throw new Replay(outcome.status, outcome.body);
        claimed = true;
      };
      return next.handle().pipe(
        mergeMap((body: unknown) => {
          if (claimed) return settle(of(body));
          // fail loudly: the effect ran without the key being claimed
          this.logger.error(`${scope.route}: multipart handler never reached its idempotency checkpoint`);
          throw new AppError(GeneralErrors.internalError);
        }),
        catchError((err: unknown) => {
          if (err instanceof Replay) return replay(err.status, err.body);
          if (!claimed) throw err;
          return settle(throwError(() => err));
        }),
      );
    }

    const claim = this.claim(scope, fingerprint({ body: req.body, query: req.query }));
    return from(claim).pipe(
      mergeMap((outcome) => (outcome ? replay(outcome.status, outcome.body) : settle(next.handle()))),
    );
  }

  /**
   * The replay of a completed request whose answer carried a secret (stored redacted): refused, or
   * the resource read again by the route's reader.
   */
  private replaySecret(
    secrets: ReplaySecrets,
    req: FastifyRequest,
    reply: FastifyReply,
    first: unknown,
  ): Observable<unknown> {
    if ('refuse' in secrets.replay) {
      throw new AppError(IdempotencyErrors.keyReused, { message: secrets.replay.refuse });
    }
    if (!req.principal) throw new Error('a secret re-read on replay needs a signed-in caller');
    const reader = this.moduleRef.get(secrets.replay.reread, { strict: false });
    return from(reader.reread(req.principal, first as Record<string, unknown>)).pipe(
      map((body) => {
        reply.header('Idempotent-Replayed', 'true');
        return body;
      }),
    );
  }

  /** Claims the key: undefined when this request owns it now, else the stored answer to replay. */
  private async claim(
    scope: IdempotencyScope,
    requestHash: string,
  ): Promise<{ status: number; body: unknown } | undefined> {
    const now = this.clock.now();
    const c = await this.repo.claim(
      scope,
      requestHash,
      now,
      addSeconds(now, (this.config.requestTimeoutMs * 2) / 1000),
      addSeconds(now, this.config.limits.idempotencySeconds),
    );
    if (c.kind === 'owner') return undefined;
    if (c.bodyHash !== requestHash) throw new AppError(IdempotencyErrors.keyReused);
    if (c.kind === 'in_progress') throw new AppError(IdempotencyErrors.requestInProgress);
    return { status: c.status, body: c.body };
  }
}
