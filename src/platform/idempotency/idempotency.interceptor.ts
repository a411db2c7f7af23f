import { CallHandler, ExecutionContext, HttpStatus, Injectable, NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { Observable, catchError, from, mergeMap, of } from 'rxjs';
import { AppConfig } from '../../config/config';
import { addSeconds, Clock } from '../clock/clock';
import { AppError } from '../errors/app-error';
import { ReplayedErrorResponse, toErrorResponse } from '../errors/error-response';
import { GeneralErrors } from '../errors/general.errors';
import { IdempotencyErrors } from './idempotency.errors';
import { IdempotencyRepository, IdempotencyScope } from './idempotency.repository';

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

/** Outcomes worth replaying: a request that ran to a final answer. */
function isStorable(status: number, code?: string): boolean {
  if (status >= 500) return false;
  if (status === HttpStatus.UNPROCESSABLE_ENTITY || status === HttpStatus.TOO_MANY_REQUESTS) return false;
  return code !== GeneralErrors.invalidJson.code && code !== GeneralErrors.badRequest.code;
}

/**
 * Idempotency keys, on the routes marked @Idempotent. It runs inside the global request-timeout
 * interceptor: when a request times out, this pipeline is dropped without releasing its claim, so
 * a retry meets idempotency_request_in_progress until the claim's lease ends, and cannot run the
 * effect a second time while the first may still be finishing.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly repo: IdempotencyRepository,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const header = req.headers['idempotency-key'];
    if (header === undefined) return next.handle();
    const key = Array.isArray(header) ? header[0] : header;
    if (key.length > MAX_KEY_LENGTH || key.trim() === '') throw new AppError(IdempotencyErrors.keyTooLong);

    const scope: IdempotencyScope = {
      caller: req.principal ? `user:${req.principal.userId}` : `ip:${req.ip}`,
      route: `${req.method} ${req.routeOptions.url ?? req.url}`,
      key,
    };
    const bodyHash = createHash('sha256').update(canonical(req.body)).digest('hex');
    const now = this.clock.now();
    const successStatus =
      this.reflector.get<number | undefined>(HTTP_CODE_METADATA, context.getHandler()) ??
      (req.method === 'POST' ? HttpStatus.CREATED : HttpStatus.OK);

    const claim = this.repo.claim(
      scope,
      bodyHash,
      now,
      addSeconds(now, (this.config.requestTimeoutMs * 2) / 1000),
      addSeconds(now, this.config.limits.idempotencySeconds),
    );
    return from(claim).pipe(
      mergeMap((c) => {
        if (c.kind !== 'owner' && c.bodyHash !== bodyHash) throw new AppError(IdempotencyErrors.keyReused);
        if (c.kind === 'in_progress') throw new AppError(IdempotencyErrors.requestInProgress);
        if (c.kind === 'completed') {
          reply.header('Idempotent-Replayed', 'true');
          if (c.status >= 400) throw new ReplayedErrorResponse(c.status, c.body as Record<string, unknown>);
          return of(c.body);
        }
        return next.handle().pipe(
          mergeMap(async (body: unknown) => {
            await this.repo.complete(scope, successStatus, body);
            return body;
          }),
          catchError(async (err: unknown) => {
            const response = toErrorResponse(err, req.id);
            if (isStorable(response.status, response.body.code as string | undefined)) {
              await this.repo.complete(scope, response.status, response.body);
            } else {
              await this.repo.release(scope);
            }
            throw err;
          }),
        );
      }),
    );
  }
}
