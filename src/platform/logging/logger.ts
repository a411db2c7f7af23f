import type { LoggerService } from '@nestjs/common';
import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * One pino logger for the process: Fastify logs every request with it (request id as `reqId`),
 * and Nest's own logging goes through it too (see NestPinoLogger). JSON lines on stdout.
 */
export function createRootLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      redact: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["stripe-signature"]'],
      serializers: { err: serializeError },
    },
    destination,
  );
}

/**
 * pino's error serializer, made total: logging the cause of a 500 must never itself throw (it
 * tags error-like members, which fails on frozen or non-extensible objects), or the real cause
 * is lost and the client gets a different error.
 */
export function serializeError(err: unknown): unknown {
  try {
    return pino.stdSerializers.err(err as Error);
  } catch {
    const e = err as { name?: unknown; message?: unknown; stack?: unknown; code?: unknown } | null;
    return {
      type: typeof e?.name === 'string' ? e.name : typeof err,
      message: typeof e?.message === 'string' ? e.message : String(err),
      stack: typeof e?.stack === 'string' ? e.stack : undefined,
      code: e?.code,
    };
  }
}

/** Nest's LoggerService on top of pino, so framework and service logs share the format. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  private write(
    level: 'info' | 'warn' | 'error' | 'debug' | 'trace',
    message: unknown,
    params: unknown[],
  ): void {
    const context = params.length && typeof params[params.length - 1] === 'string' ? params.pop() : undefined;
    if (message instanceof Error) {
      this.logger[level]({ context, err: message }, message.message);
    } else if (message && typeof message === 'object') {
      this.logger[level]({ context, ...message }, (params[0] as string | undefined) ?? '');
    } else {
      this.logger[level]({ context }, String(message));
    }
  }

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
}
