import { SECRET_KEY, unredactedSecrets } from '../../src/platform/idempotency/replay-secrets';
import { CommerceApp, startCommerceApp, trackForSale } from '../support/commerce';
import { expectError } from '../support/expect-error';
import { loginAdmin, registerUser, TestUser } from '../support/users';

/**
 * Secrets never reach the replay store (idempotency_keys keeps answers 24 h): a personal access
 * token's value, a purchase's client_secret. Each idempotent route that answers one declares it;
 * its replay is refused (tokens) or reads the secret again (purchases).
 */
describe('idempotency: no secret in the replay store', () => {
  let c: CommerceApp;

  beforeAll(async () => {
    c = await startCommerceApp();
  });
  afterAll(() => c?.close());

  /** every stored row (any column) that contains `text` */
  const rowsContaining = async (text: string) =>
    (
      await c.db.query('SELECT caller, route, key FROM idempotency_keys k WHERE strpos(k::text, $1) > 0', [
        text,
      ])
    ).rows;
  const stored = async (key: string) =>
    (await c.db.query('SELECT response_status, response_body FROM idempotency_keys WHERE key = $1', [key]))
      .rows[0] as { response_status: number; response_body: Record<string, unknown> };

  describe('POST /me/access-tokens', () => {
    let user: TestUser;
    beforeAll(async () => {
      user = await registerUser(c.t);
    });
    const mint = (key: string, body: object) =>
      c.t.http.post('/api/v1/me/access-tokens').set(user.auth).set('Idempotency-Key', key).send(body);

    it('never stores the token, and refuses to show it again on a replay', async () => {
      const first = await mint('pat-key-1', { name: 'deploy token' }).expect(201);
      const token = first.body.token as string;
      expect(token).toMatch(/^pat_/);
      // the key is stored (completed, with the token's id), the token itself nowhere
      expect(await rowsContaining(token)).toEqual([]);
      expect(await stored('pat-key-1')).toEqual({
        response_status: 201,
        response_body: expect.objectContaining({ id: first.body.id, token: '[redacted]' }),
      });

      const replay = await mint('pat-key-1', { name: 'deploy token' });
      expectError(replay, 400, 'idempotency_key_reused');
      expect(replay.headers['idempotent-replayed']).toBeUndefined();
      expect(replay.text).not.toContain(token);
      expect(replay.body.message).toMatch(/shown only once/);
      // no second token was minted, and the first one works
      const list = await c.t.http.get('/api/v1/me/access-tokens').set(user.auth).expect(200);
      expect(list.body.data.map((x: { id: string }) => x.id)).toEqual([first.body.id]);
      await c.t.http.get('/api/v1/me').set('Authorization', `Bearer ${token}`).expect(200);
    });

    it('still replays a stored refusal (it carries no secret)', async () => {
      const first = await mint('pat-key-admin', { name: 'wants admin', scopes: ['admin'] });
      expectError(first, 403, 'forbidden');
      const again = await mint('pat-key-admin', { name: 'wants admin', scopes: ['admin'] });
      expect(again.status).toBe(403);
      expect(again.body).toEqual(first.body);
      expect(again.headers['idempotent-replayed']).toBe('true');
    });
  });

  describe('POST /purchases and POST /purchases/:id/confirm', () => {
    let buyer: TestUser;
    let trackId: string;
    beforeAll(async () => {
      ({
        track: { id: trackId },
      } = await trackForSale(c.t));
      buyer = await registerUser(c.t);
    });
    const start = (key: string) =>
      c.t.http
        .post('/api/v1/purchases')
        .set(buyer.auth)
        .set('Idempotency-Key', key)
        .send({ track_id: trackId, license_type: 'basic', expected_price_cents: 2999 });
    const confirm = (id: string, key: string, paymentMethod: string) =>
      c.t.http
        .post(`/api/v1/purchases/${id}/confirm`)
        .set(buyer.auth)
        .set('Idempotency-Key', key)
        .send({ payment_method: paymentMethod });
    const intentSecret = (purchaseId: string) =>
      [...c.stripe.paymentIntents.values()].find(
        (p) => (p.metadata as { purchase_id: string }).purchase_id === purchaseId,
      )!.client_secret as string;

    it('never stores the client_secret; a replay reads it again', async () => {
      const first = await start('purchase-key-1').expect(201);
      const secret = first.body.client_secret as string;
      expect(secret).toBe(intentSecret(first.body.id));
      expect(await rowsContaining(secret)).toEqual([]);
      expect((await stored('purchase-key-1')).response_body).toMatchObject({
        id: first.body.id,
        client_secret: '[redacted]',
      });

      // the replay: the same purchase (no second PaymentIntent), its secret read again
      const replay = await start('purchase-key-1').expect(201);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.body).toEqual(first.body);
      expect(
        [...c.stripe.paymentIntents.values()].filter(
          (p) => (p.metadata as { purchase_id: string }).purchase_id === first.body.id,
        ),
      ).toHaveLength(1);
      expect(await rowsContaining(secret)).toEqual([]);
    });

    it('a confirmation that needs the buyer (3-D Secure) answers the client_secret, never stored', async () => {
      const purchase = await start('purchase-key-3ds').expect(201);
      const secret = purchase.body.client_secret as string;
      const first = await confirm(
        purchase.body.id,
        'confirm-key-3ds',
        'pm_card_authenticationRequired',
      ).expect(200);
      expect(first.body).toMatchObject({ status: 'requires_payment', client_secret: secret });
      expect(await rowsContaining(secret)).toEqual([]);
      expect((await stored('confirm-key-3ds')).response_body).toMatchObject({
        id: purchase.body.id,
        client_secret: '[redacted]',
      });

      const replay = await confirm(
        purchase.body.id,
        'confirm-key-3ds',
        'pm_card_authenticationRequired',
      ).expect(200);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.body).toEqual(first.body);

      // once paid, the replays of both keys show the purchase as it is: no secret any more
      const paid = await confirm(purchase.body.id, 'confirm-key-visa', 'pm_card_visa').expect(200);
      expect(paid.body).toMatchObject({ status: 'succeeded', client_secret: null });
      for (const again of [
        await confirm(purchase.body.id, 'confirm-key-3ds', 'pm_card_authenticationRequired').expect(200),
        await start('purchase-key-3ds').expect(201),
      ]) {
        expect(again.headers['idempotent-replayed']).toBe('true');
        expect(again.body).toMatchObject({ id: purchase.body.id, status: 'succeeded', client_secret: null });
      }
      expect(await rowsContaining(secret)).toEqual([]);
    });
  });

  /**
   * The generic guards. In this database: no stored body has a member named like a secret that
   * holds a value. For every route: each secret-like member of an idempotent operation's success
   * response is declared on its @Idempotent (the server redacts undeclared ones too, and logs them).
   */
  describe('guards', () => {
    it('no stored replay body holds an unredacted secret-like member', async () => {
      const rows = (
        await c.db.query<{ route: string; response_body: unknown }>(
          'SELECT route, response_body FROM idempotency_keys',
        )
      ).rows;
      // the six keys of the tests above (two tokens, two purchases, two confirmations)
      expect(rows).toHaveLength(6);
      expect(
        rows.map((r) => [r.route, unredactedSecrets(r.response_body)]).filter(([, s]) => s.length),
      ).toEqual([]);
      expect(c.t.logs.errors().filter((e) => /undeclared secret/.test(e.msg ?? ''))).toEqual([]);
    });

    it('every idempotent operation declares the secret members of its response', async () => {
      const admin = await loginAdmin(c.t);
      type Schema = {
        $ref?: string;
        properties?: Record<string, Schema>;
        items?: Schema;
        allOf?: Schema[];
        oneOf?: Schema[];
        anyOf?: Schema[];
        additionalProperties?: Schema | boolean;
      };
      type Operation = {
        parameters?: { name: string }[];
        responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
        'x-idempotency-secrets'?: { fields: string[]; replay: string };
      };
      const doc = (await c.t.http.get('/api/v1/admin/docs/openapi.json').set(admin.auth).expect(200))
        .body as {
        paths: Record<string, Record<string, Operation>>;
        components: { schemas: Record<string, Schema> };
      };
      const secretMembers = (schema: Schema | undefined, seen = new Set<string>()): string[] => {
        if (!schema) return [];
        if (schema.$ref) {
          if (seen.has(schema.$ref)) return [];
          seen.add(schema.$ref);
          return secretMembers(doc.components.schemas[schema.$ref.split('/').pop()!], seen);
        }
        const out: string[] = [];
        for (const [name, member] of Object.entries(schema.properties ?? {})) {
          if (SECRET_KEY.test(name)) out.push(name);
          out.push(...secretMembers(member, seen));
        }
        for (const sub of [
          schema.items,
          ...(schema.allOf ?? []),
          ...(schema.oneOf ?? []),
          ...(schema.anyOf ?? []),
        ])
          out.push(...secretMembers(sub, seen));
        if (typeof schema.additionalProperties === 'object')
          out.push(...secretMembers(schema.additionalProperties, seen));
        return out;
      };

      const found: Record<string, { answers: string[]; declared: string[] }> = {};
      let idempotent = 0;
      for (const [path, item] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(item)) {
          if (!op?.parameters?.some((p) => p.name === 'Idempotency-Key')) continue;
          idempotent++;
          const answers = Object.entries(op.responses)
            .filter(([status]) => Number(status) < 300)
            .flatMap(([, r]) => Object.values(r.content ?? {}).flatMap((m) => secretMembers(m.schema)));
          const declared = op['x-idempotency-secrets']?.fields ?? [];
          if (answers.length || declared.length) {
            found[`${method.toUpperCase()} ${path}`] = { answers: [...new Set(answers)].sort(), declared };
          }
        }
      }
      expect(idempotent).toBeGreaterThanOrEqual(19);
      // the inventory: a new route answering a secret must be declared (and appear here)
      expect(found).toEqual({
        'POST /api/v1/me/access-tokens': { answers: ['token'], declared: ['token'] },
        'POST /api/v1/purchases': { answers: ['client_secret'], declared: ['client_secret'] },
        'POST /api/v1/purchases/{id}/confirm': { answers: ['client_secret'], declared: ['client_secret'] },
      });
    });
  });
});
