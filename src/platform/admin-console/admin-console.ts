import fastifyStatic from '@fastify/static';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { projectRoot } from '../database/migrations';

/**
 * The console's own policy: its code and styles come from this origin only (no inline script or
 * style, no third party), it talks to this origin's API only, and no other site may frame it.
 */
export const ADMIN_CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': ADMIN_CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
};

/** The console's pages (console/src/main.tsx routes the same paths). */
export const CONSOLE_PAGES = [
  '/admin',
  '/admin/users',
  '/admin/users/:id',
  '/admin/backstage',
  '/admin/licenses',
  '/admin/audit',
  '/admin/maintenance',
];

export const defaultAdminConsoleDir = (): string => join(projectRoot(), 'dist', 'admin');

/**
 * Serves the admin console (a single-page app built by `npm run build` into dist/admin) at
 * /admin, outside the API prefix. The page and its files hold no data: everything it shows comes
 * from the /api/v1/admin routes with the admin's bearer token, so a non-admin who loads it gets
 * the API's route_not_found and nothing else. Its headers are set in an onSend hook of its own
 * scope, so they hold whatever global security headers are registered elsewhere.
 */
export async function registerAdminConsole(app: NestFastifyApplication, dir?: string): Promise<void> {
  const root = dir ?? defaultAdminConsoleDir();
  const indexFile = join(root, 'index.html');
  await app.register(async (scope: FastifyInstance) => {
    scope.addHook('onSend', async (_req, reply, payload) => {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) void reply.header(name, value);
      return payload;
    });
    if (!existsSync(indexFile)) {
      scope.log.warn(`admin console not built (${root}): /admin answers 503 until \`npm run build\``);
    }
    if (existsSync(root)) {
      // one route per built file (found at boot); hashed assets are cached for good
      await scope.register(fastifyStatic, {
        root,
        prefix: '/admin/',
        wildcard: false,
        index: false,
        decorateReply: false,
        cacheControl: false,
        setHeaders: (res, path) =>
          void res.header(
            'cache-control',
            path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
          ),
      });
    }
    // the console's own pages are one document (its router shows the page); anything else
    // under /admin is the API's route_not_found
    const page = async (_req: FastifyRequest, reply: FastifyReply) => {
      if (!existsSync(indexFile)) {
        return reply
          .code(503)
          .type('text/plain; charset=utf-8')
          .send('The admin console is not built: run `npm run build`.');
      }
      return reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(await readFile(indexFile));
    };
    for (const path of CONSOLE_PAGES) scope.get(path, page);
  });
}
