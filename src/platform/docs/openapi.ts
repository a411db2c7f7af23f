import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { ErrorDefinition } from '../errors/app-error';
import { ERROR_CODES_EXTENSION } from './api-errors.decorator';

const DESCRIPTION = `
Backend of a beat marketplace and music community.

**Conventions.** JSON bodies with \`snake_case\` fields; ids are opaque strings. Authenticate with
\`Authorization: Bearer <token>\` — an access token from \`POST /auth/login\` (1 h) or a personal
access token (\`pat_…\`, limited to its scopes; each operation's \`x-access\` names the scope it needs,
public operations included: a token without it is \`403 forbidden\`). A token that is sent is always
checked, on public operations too (\`401 token_expired\` tells a client to refresh); \`anonymous\`
operations (sign-in and recovery, health, the error catalogue, signed links, webhooks) never read it.
Every response carries \`X-Request-Id\` (a well-formed inbound one is echoed).

**Errors** have one body: \`{ "message", "code", "errors"?, "request_id", ...context }\`. Match on
\`code\`; \`errors\` (field path → messages) only on validation failures. The whole catalogue is
served at \`GET /api/v1/errors\`. A 500 never carries its cause: quote the request id to support.

**Rate limits** (per minute, fixed windows, shared by all instances): 300 per signed-in user,
60 per IP for anonymous calls (a request refused for an invalid token counts as one), 5 logins per IP, 3 password-reset mails per address. Limited
responses carry \`X-RateLimit-Limit/Remaining/Reset\` (Reset in epoch seconds); a 429 adds
\`Retry-After\` and \`retry_after\`.

**Lists** take \`?limit=\` (1–100, default 20) and \`?cursor=\` and answer
\`{ "data": [...], "next_cursor": string|null }\`, newest first unless stated. Cursors are opaque
and signed: pass \`next_cursor\` back as is (an altered one is \`400 bad_request\`).

**Hostile input.** NUL characters and unpaired UTF-16 surrogates are refused in every string
(\`422 validation_failed\` in bodies, \`400 bad_request\` in paths and queries), JSON deeper than 32
levels is \`invalid_json\`, arrays hold at most 10,000 items (each field documents its own, lower,
maximum). Web clients: CORS is allowed for the origins the operator configures.

**Idempotency.** POSTs that create something or move money take \`Idempotency-Key\` (see each
operation). Secrets in an answer (a token, a payment's \`client_secret\`) are never kept for replays:
such an operation says what its replay answers. **Optimistic concurrency:** shared mutable resources return \`ETag\`; send it back as
\`If-Match\` to get \`409 stale_version\` instead of overwriting someone else's change.

**Time.** Every time rule reads the application clock (movable in tests through the test hooks,
which exist only when the server runs with \`TEST_HOOKS=1\`).
`.trim();

interface Operation {
  security?: unknown[];
  requestBody?: unknown;
  parameters?: { name: string; in: string }[];
  responses: Record<string, unknown>;
  [ERROR_CODES_EXTENSION]?: string[];
  'x-access'?: string;
  'x-rate-limit'?: boolean;
}

/** The errors every operation of a kind can answer, on top of the ones it declares itself. */
function genericCodes(op: Operation): string[] {
  // bad_request: any request can be malformed HTTP (a bad escape, oversized headers, NUL in the query)
  const codes = ['bad_request', 'internal_error', 'service_unavailable', 'request_timeout'];
  const access = op['x-access'] ?? '';
  // every route but the anonymous ones reads a token when one is sent, and checks its scope
  if (!access.startsWith('anonymous')) {
    codes.push('unauthenticated', 'token_expired', 'account_suspended', 'forbidden');
  }
  if (access.startsWith('admin')) codes.push('route_not_found');
  if (!access.includes('maintenance-exempt')) codes.push('maintenance_mode');
  if (op['x-rate-limit'] !== false) codes.push('too_many_requests');
  if (op.requestBody)
    codes.push('invalid_json', 'validation_failed', 'payload_too_large', 'unsupported_media_type');
  const params = op.parameters ?? [];
  if (params.some((p) => p.in === 'query')) codes.push('validation_failed');
  if (params.some((p) => p.in === 'path')) codes.push('bad_request');
  if (params.some((p) => p.name === 'If-Match')) codes.push('stale_version');
  if (params.some((p) => p.name === 'Idempotency-Key')) {
    codes.push('idempotency_key_too_long', 'idempotency_key_reused', 'idempotency_request_in_progress');
  }
  return codes;
}

export function buildOpenApiDocument(
  app: INestApplication,
  catalogue: readonly ErrorDefinition[],
  serverUrl = 'http://localhost:3000',
): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Beat platform API')
    .setDescription(DESCRIPTION)
    .setVersion('1.0.0')
    .addServer(serverUrl, 'This server (APP_URL)')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'Access token or personal access token' })
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (controller, method) => `${controller.replace(/Controller$/, '')}_${method}`,
  });

  const byCode = new Map(catalogue.map((d) => [d.code, d]));
  document.components ??= {};
  document.components.schemas ??= {};
  document.components.schemas.ErrorEnvelope = {
    type: 'object',
    required: ['message', 'code', 'request_id'],
    properties: {
      message: { type: 'string', description: 'Human-readable; do not match on it.' },
      code: {
        type: 'string',
        enum: catalogue.map((d) => d.code),
        description: 'Stable machine-readable code.',
      },
      errors: {
        type: 'object',
        additionalProperties: { type: 'array', items: { type: 'string' } },
        description: 'Validation failures only: field path → messages.',
      },
      request_id: { type: 'string', description: 'Same as the X-Request-Id response header.' },
    },
    additionalProperties: true,
  };

  for (const item of Object.values(document.paths)) {
    for (const op of Object.values(item as Record<string, Operation>)) {
      if (!op || typeof op !== 'object' || !op.responses) continue;
      const codes = new Set([...(op[ERROR_CODES_EXTENSION] ?? []), ...genericCodes(op)]);
      const byStatus = new Map<number, ErrorDefinition[]>();
      for (const code of codes) {
        const def = byCode.get(code);
        if (!def) throw new Error(`OpenAPI: operation declares unknown error code ${code}`);
        byStatus.set(def.status, [...(byStatus.get(def.status) ?? []), def]);
      }
      for (const [status, defs] of [...byStatus].sort(([a], [b]) => a - b)) {
        op.responses[String(status)] = {
          description: defs.map((d) => `\`${d.code}\` — ${d.description}`).join('\n\n'),
          content: {
            'application/json': {
              schema: { $ref: '#/components/schemas/ErrorEnvelope' },
              examples: Object.fromEntries(
                defs.map((d) => [
                  d.code,
                  { value: { message: d.message, code: d.code, request_id: 'b0c2…' } },
                ]),
              ),
            },
          },
        };
      }
      op[ERROR_CODES_EXTENSION] = [...codes];
      // anonymous operations never read a token: client generators must not attach one; public
      // ones take one optionally (checked, with its scope, when sent)
      const access = op['x-access'] ?? '';
      if (access.startsWith('anonymous')) op.security = [];
      else if (access.startsWith('public')) op.security = [{}, { bearer: [] }];
    }
  }
  return document;
}

const isAdminOperation = (op: unknown): boolean =>
  typeof (op as Operation | undefined)?.['x-access'] === 'string' &&
  (op as Operation)['x-access']!.startsWith('admin');

/**
 * The two documents served: the public one (everything but admin operations, at /docs) and the
 * admin one (every operation, at GET /admin/docs/openapi.json, admins only).
 */
export function splitOpenApiDocument(full: OpenAPIObject): { public: OpenAPIObject; admin: OpenAPIObject } {
  const publicDoc = JSON.parse(JSON.stringify(full)) as OpenAPIObject;
  for (const [path, item] of Object.entries(publicDoc.paths)) {
    const entries = item as Record<string, unknown>;
    for (const [method, op] of Object.entries(entries)) if (isAdminOperation(op)) delete entries[method];
    if (!Object.values(entries).some((op) => op && typeof op === 'object' && 'responses' in op)) {
      delete publicDoc.paths[path];
    }
  }
  publicDoc.tags = publicDoc.tags?.filter((tag) => tag.name !== 'admin');
  const admin = JSON.parse(JSON.stringify(full)) as OpenAPIObject;
  admin.info = {
    ...admin.info,
    title: `${admin.info.title} (admin)`,
    description: `${admin.info.description ?? ''}\n\nThis document includes the admin operations; it is served to admins only.`,
  };
  return { public: publicDoc, admin };
}

/** Filled once at boot with the built documents (see createApp); read by the admin docs route. */
export class OpenApiDocuments {
  admin?: OpenAPIObject;
}
