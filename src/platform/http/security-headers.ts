import fastifyCors from '@fastify/cors';
import fastifyHelmet, { type FastifyHelmetOptions } from '@fastify/helmet';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import type { AppConfig } from '../../config/config';

/** The JSON API loads nothing: the strictest policy. */
const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/** The interactive docs page (Swagger UI: its own scripts and styles, inline styles, data: images). */
const DOCS_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; font-src 'self' data:; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

const isDocs = (url: string) => /^\/(api\/v1\/)?docs(\/|$|\?)/.test(url);

/**
 * What browsers and proxies expect: helmet's headers on every response (nosniff, Referrer-Policy,
 * frame and opener policies; HSTS when APP_URL is https), a CSP (strict for JSON, one that lets
 * Swagger UI run on the docs page), CORS for the web clients listed in CORS_ORIGINS (none by
 * default; preflight answered), and `Cache-Control: no-store` on anything that may carry tokens or
 * personal data: every answer to a request with credentials, every write, every /auth and /me path.
 */
export async function registerSecurityHeaders(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  const helmet = await helmetHeaders({
    contentSecurityPolicy: false, // set per response below
    hsts: config.appUrl.startsWith('https:') ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    // audio and certificates are fetched by web clients on other origins (CORS decides who may read)
    crossOriginResourcePolicy: { policy: 'cross-origin' },
    referrerPolicy: { policy: 'no-referrer' },
  });
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (_req: FastifyRequest, reply: FastifyReply, done: () => void) => {
      void reply.headers(helmet);
      done();
    });
  if (config.corsOrigins.length) {
    await app.register(fastifyCors, {
      origin: config.corsOrigins,
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: [
        'Authorization',
        'Content-Type',
        'Idempotency-Key',
        'If-Match',
        'If-None-Match',
        'X-Request-Id',
        // a web player on another origin fetching media by byte range
        'Range',
        'If-Range',
      ],
      exposedHeaders: [
        'ETag',
        'X-Request-Id',
        'X-RateLimit-Limit',
        'X-RateLimit-Remaining',
        'X-RateLimit-Reset',
        'Retry-After',
        'Idempotent-Replayed',
        'Location',
        'Accept-Ranges',
        'Content-Range',
        'Content-Length',
      ],
      maxAge: 600,
      strictPreflight: true,
    });
  }
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onSend', (req: FastifyRequest, reply: FastifyReply, payload: unknown, done) => {
      if (!reply.hasHeader('Content-Security-Policy')) {
        void reply.header('Content-Security-Policy', isDocs(req.url) ? DOCS_CSP : API_CSP);
      }
      if (!reply.hasHeader('Cache-Control') && carriesPrivateData(req))
        void reply.header('Cache-Control', 'no-store');
      done(null, payload);
    });
}

/**
 * The headers @fastify/helmet sends with these options, computed once at boot by asking it (one
 * injected request to a throwaway Fastify instance): they depend on no request (no CSP nonces).
 * The plugin itself rebuilds helmet's middleware on every request (measured: ~2.5 KB allocated
 * and two hooks per request); the same headers set from this object cost one `reply.headers`.
 */
async function helmetHeaders(options: FastifyHelmetOptions): Promise<Record<string, string>> {
  const probe = async (withHelmet: boolean) => {
    const fastify = Fastify({ logger: false });
    if (withHelmet) await fastify.register(fastifyHelmet, options);
    fastify.get('/', (_req, reply) => reply.send('ok'));
    const res = await fastify.inject('/');
    await fastify.close();
    return res.headers;
  };
  const [plain, helmet] = await Promise.all([probe(false), probe(true)]);
  return Object.fromEntries(
    Object.entries(helmet)
      .filter(([name]) => plain[name] === undefined)
      .map(([name, value]) => [name, String(value)]),
  );
}

function carriesPrivateData(req: FastifyRequest): boolean {
  if (req.headers.authorization || req.headers.cookie) return true;
  if (req.method !== 'GET' && req.method !== 'HEAD') return true;
  return /^\/api\/v1\/(auth|me|admin|purchases|licenses|downloads)(\/|$|\?)/.test(req.url);
}
