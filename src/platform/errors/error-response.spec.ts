import { Prisma } from '@prisma/client';
import { NotFoundException } from '@nestjs/common';
import { AppError } from './app-error';
import { isDatabaseUnavailable } from '../database/db-errors';
import { toErrorResponse } from './error-response';
import { GeneralErrors } from './general.errors';

describe('toErrorResponse', () => {
  it('shapes a domain error into the envelope with its context and headers', () => {
    const r = toErrorResponse(
      new AppError(GeneralErrors.tooManyRequests, {
        context: { retry_after: 5 },
        headers: { 'Retry-After': '5' },
      }),
      'req-1',
    );
    expect(r.status).toBe(429);
    expect(r.body).toEqual({
      message: 'Too Many Attempts.',
      code: 'too_many_requests',
      retry_after: 5,
      request_id: 'req-1',
    });
    expect(r.headers).toEqual({ 'Retry-After': '5' });
  });

  it('hides the cause of anything unexpected', () => {
    const r = toErrorResponse(new Error('password=hunter2'), 'req-2');
    expect(r.status).toBe(500);
    expect(r.body).toEqual({
      message: 'An unexpected server-side issue occurred.',
      code: 'internal_error',
      request_id: 'req-2',
    });
    expect(r.logCause).toBe(true);
  });

  it('maps framework errors to catalogue codes', () => {
    expect(toErrorResponse(new NotFoundException(), 'r').body.code).toBe('route_not_found');
    expect(toErrorResponse({ code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }, 'r').body.code).toBe(
      'payload_too_large',
    );
    expect(toErrorResponse({ code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 }, 'r').body.code).toBe(
      'unsupported_media_type',
    );
  });

  it('recognises an unreachable database anywhere in the cause chain', () => {
    expect(isDatabaseUnavailable(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(
      isDatabaseUnavailable(new Error('outer', { cause: new Error('Connection terminated unexpectedly') })),
    ).toBe(true);
    expect(isDatabaseUnavailable(new Error('duplicate key'))).toBe(false);
    const r = toErrorResponse(Object.assign(new Error('x'), { code: '57P03' }), 'r');
    expect([r.status, r.body.code, r.headers['Retry-After']]).toEqual([503, 'service_unavailable', '5']);
  });

  it('recognises a transaction whose connection died with the server (found by npm run chaos)', () => {
    // pg's Client refuses the next query of an interactive transaction once its socket broke
    // (PostgreSQL restarted mid-transaction): this reached clients as internal_error
    const dead = new Error('Client has encountered a connection error and is not queryable');
    expect(isDatabaseUnavailable(dead)).toBe(true);
    expect(toErrorResponse(dead, 'r').body.code).toBe('service_unavailable');
    expect(isDatabaseUnavailable(new Error('Client was closed and is not queryable'))).toBe(true);
  });

  it('recognises a Prisma query on a connection the server closed (found by npm run chaos)', () => {
    // P2010 from the pg adapter: the cause is in meta, not in `cause`; this reached clients as
    // internal_error when PostgreSQL restarted under an idempotency claim
    const closed = new Prisma.PrismaClientKnownRequestError(
      'Raw query failed. Code: `N/A`. Message: `Server has closed the connection.`',
      {
        code: 'P2010',
        clientVersion: '6.19.3',
        meta: { driverAdapterError: { name: 'DriverAdapterError', cause: { kind: 'ConnectionClosed' } } },
      },
    );
    expect(isDatabaseUnavailable(closed)).toBe(true);
    expect(toErrorResponse(closed, 'r').body.code).toBe('service_unavailable');
    const unique = new Prisma.PrismaClientKnownRequestError('Unique constraint failed', {
      code: 'P2002',
      clientVersion: '6.19.3',
      meta: {
        driverAdapterError: { name: 'DriverAdapterError', cause: { kind: 'UniqueConstraintViolation' } },
      },
    });
    expect(isDatabaseUnavailable(unique)).toBe(false);
  });
});
