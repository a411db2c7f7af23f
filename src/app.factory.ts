import fastifyMultipart from '@fastify/multipart';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { LogController, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { DestinationStream } from 'pino';
import { AppModule } from './app.module';
import { CATALOGUE } from './catalogue';
import { AppConfig } from './config/config';
import { buildOpenApiDocument, OpenApiDocuments, splitOpenApiDocument } from './platform/docs/openapi';
import { AppSecret } from './platform/crypto/app-secret';
import { setCursorSecret } from './platform/pagination/pagination';
import { registerAdminConsole } from './platform/admin-console/admin-console';
import { Lifecycle } from './platform/health/lifecycle';
import { AllExceptionsFilter } from './platform/errors/all-exceptions.filter';
import { AppError } from './platform/errors/app-error';
import { GeneralErrors } from './platform/errors/general.errors';
import { onClientError, onFrameworkError } from './platform/http/framework-errors';
import { registerSecurityHeaders } from './platform/http/security-headers';
import { releaseUnreadBody } from './platform/http/drain';
import { assertCleanUrlInput, hostileBodyError } from './platform/http/hostile-input';
import { resolveRequestId } from './platform/http/request-id';
import { RouteRegistry } from './platform/http/route-registry';
import type { RouteFlags } from './platform/http/route-flags';
import { registerRouteHooks } from './platform/http/route-hooks';
import { AppValidationPipe } from './platform/http/validation.pipe';
import { createRootLogger, NestPinoLogger } from './platform/logging/logger';

export const API_PREFIX = 'api/v1';
const JSON_BODY_LIMIT = 1024 * 1024;

/**
 * Builds the HTTP application (used by main.ts and by the e2e tests, so both run the same
 * stack): Fastify with request ids, the raw body kept for webhook signatures, one error filter,
 * one validation pipe, and the OpenAPI document at /api/v1/docs (also /docs).
 */
export interface CreateAppOptions {
  /** extra Fastify hooks, registered before the routes (the e2e harness records error codes) */
  configure?: (fastify: FastifyInstance) => void;
  /** where the log lines go (default stdout); the e2e harness reads them from a sink */
  logDestination?: DestinationStream;
}

export async function createApp(
  config: AppConfig,
  options: CreateAppOptions = {},
): Promise<NestFastifyApplication> {
  const routes = new RouteRegistry();
  const logger = createRootLogger(config.logLevel, options.logDestination);
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    // one line per request only where it matters (see the onResponse hook below)
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) =>
      resolveRequestId(req.headers['x-request-id']),
    requestIdHeader: false,
    trustProxy: config.trustProxy,
    bodyLimit: JSON_BODY_LIMIT,
    routerOptions: { ignoreTrailingSlash: true },
    frameworkErrors: onFrameworkError,
    clientErrorHandler: onClientError,
    // while draining, a request that arrives on an already open connection is answered normally
    // (with `Connection: close`) instead of Fastify's own 503 body, which is not our envelope
    return503OnClosing: false,
  });
  const fastify = adapter.getInstance();
  // a loopback-only route (the test hooks) stays unknown to others, so no 405 betrays it either
  fastify.addHook('onRoute', (route) => {
    if (!(route.config as RouteFlags | undefined)?.loopbackOnly) routes.add(route.method, route.url);
  });
  // the request deadline and ETags, attached per route (no Nest interceptor on the hot path)
  registerRouteHooks(fastify, config);
  fastify.addHook('onRequest', (req, reply, done) => {
    void reply.header('X-Request-Id', req.id);
    // Fastify's onResponse (below) runs on 'finish' only: a response whose connection closed
    // first — a client that hangs up, or one that closes as soon as the last byte of a streamed
    // download arrived — would leave no line. It gets one here, marked `aborted`.
    reply.raw.once('close', () => {
      if (reply.raw.writableFinished) return;
      req.log.info(
        {
          method: req.method,
          url: req.url,
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime),
          aborted: true,
        },
        'request completed',
      );
    });
    done();
  });
  fastify.addHook('onResponse', (req, reply, done) => {
    const line = {
      method: req.method,
      url: req.url,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime),
    };
    if (reply.statusCode >= 500 || reply.elapsedTime > 1000) req.log.warn(line, 'request completed');
    else req.log.debug(line, 'request completed');
    done();
  });
  fastify.addHook('onSend', (req, reply, payload, done) => {
    // draining: the connection closes after this answer, so shutdown need not wait for it
    // (`lifecycle` comes from the container below; no request is served before it exists)
    if (lifecycle.state === 'draining') void reply.header('Connection', 'close');
    releaseUnreadBody(req, reply);
    done(null, payload);
  });
  // NUL bytes, lone surrogates and absurd nesting in paths and query strings: bad_request for every route
  fastify.addHook('preValidation', (req, _reply, done) => {
    try {
      assertCleanUrlInput(req);
      done();
    } catch (err) {
      done(err as Error);
    }
  });
  options.configure?.(fastify);

  // Our own JSON parser instead of Nest's: it keeps the raw bytes (webhook signatures are
  // computed over them) and reports malformed JSON as invalid_json rather than a bare 400.
  // Only JSON (and, on upload routes, multipart) bodies: anything else is 415.
  fastify.removeContentTypeParser(['text/plain']);
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer', bodyLimit: JSON_BODY_LIMIT },
    (req, body, done) => {
      const raw = body as Buffer;
      (req as FastifyRequest & { rawBody?: Buffer }).rawBody = raw;
      if (raw.length === 0) return done(new AppError(GeneralErrors.invalidJson), undefined);
      void parseJson(req, raw.toString('utf8'), (err, value) => {
        if (err) return done(new AppError(GeneralErrors.invalidJson), undefined);
        // bounded depth, array lengths, no NUL or lone surrogates: before any DTO code runs
        const hostile = hostileBodyError(value);
        return hostile ? done(hostile, undefined) : done(null, value);
      });
    },
  );

  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    bodyParser: false,
    logger: new NestPinoLogger(logger),
  });
  // Uploads stream through @fastify/multipart; its own limits apply (the file size is also
  // enforced while storing, see StorageService.receive).
  await app.register(fastifyMultipart, {
    limits: {
      fileSize: config.limits.uploadBytes,
      files: 1,
      fields: 20,
      fieldSize: 64 * 1024,
      parts: 25,
      headerPairs: 100,
    },
    throwFileSizeLimit: true,
  });
  // ready (GET /health/ready) once the server listens; draining from the shutdown signal on
  const lifecycle = app.get(Lifecycle);
  fastify.addHook('onListen', (done) => {
    lifecycle.markReady();
    done();
  });
  setCursorSecret(app.get(AppSecret).value);
  await registerSecurityHeaders(app, config);
  app.setGlobalPrefix(API_PREFIX);
  app.useGlobalFilters(new AllExceptionsFilter(routes));
  app.useGlobalPipes(new AppValidationPipe());

  await SwaggerModule.loadPluginMetadata(async () => (await import('./metadata')).default());
  const documents = splitOpenApiDocument(buildOpenApiDocument(app, CATALOGUE, config.appUrl));
  app.get(OpenApiDocuments).admin = documents.admin;
  for (const path of [`${API_PREFIX}/docs`, 'docs']) {
    SwaggerModule.setup(path, app, documents.public, {
      jsonDocumentUrl: `${path}/openapi.json`,
      yamlDocumentUrl: `${path}/openapi.yaml`,
    });
  }

  await registerAdminConsole(app, config.adminConsoleDir);

  try {
    await app.init();
  } catch (err) {
    // a refusal at boot (e.g. the admin bootstrap) must not leave pools and workers running
    await app.close().catch(() => undefined);
    throw err;
  }
  return app;
}
