import type { LoggerService } from '@nestjs/common';
import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * One pino logger for the process: Fastify logs every request with it (request id as `reqId`),
 * and Nest's own logging goes through it too (see NestPinoLogger). JSON lines on stdout. Every
 * line leaves through `redactQueryCredentials`, whichever field or message carries a URL.
 */
export function createRootLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      redact: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["stripe-signature"]'],
      serializers: { err: serializeError },
      hooks: { streamWrite: redactQueryCredentials },
    },
    destination,
  );
}

/**
 * A query parameter whose value is a credential, by the last word of its name: the `signature` of
 * a download link, a mailed `token`, an S3 presigned URL's X-Amz-Signature / X-Amz-Credential /
 * X-Amz-Security-Token, `access_token`, `client_secret`, `api_key`, `password`…
 */
const QUERY_CREDENTIAL =
  /([?&](?:[\w.-]*[_.-])?(?:signature|sig|token|secret|password|credential|key|apikey)=)[^&#\s"\\]*/gi;

/**
 * Replaces the value of every credential-bearing query parameter in a log line with `[redacted]`:
 * a signed link is its own credential, so the line that logs its URL (the request line, a 500's
 * cause, a framework warning) must not make the log a place to steal it from.
 */
export function redactQueryCredentials(line: string): string {
  return line.replace(QUERY_CREDENTIAL, '$1[redacted]');
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
