import fc from 'fast-check';

/** A JSON Schema node of the OpenAPI document (the subset Nest's Swagger plugin emits). */
export interface Schema {
  $ref?: string;
  type?: string;
  enum?: unknown[];
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  allOf?: Schema[];
  nullable?: boolean;
}

/** Values no endpoint should ever crash on. */
export const hostileString = fc.constantFrom(
  '\u0000',
  'a\u0000b',
  '\uD800',
  'x\uDC00y',
  '\uDBFF\uDBFF',
  '',
  ' ',
  'x'.repeat(100_000),
  '%00',
  '%E0%A4%A',
  '../../etc/passwd',
  "' OR 1=1 --",
  '<script>alert(1)</script>',
  '${jndi:ldap://x}',
  '\u202E\uFEFF',
  '🎵'.repeat(50),
  '-271821-04-20T00:00:00.000Z',
  'null',
  '1e308',
);

const deep = (depth: number): unknown => {
  let v: unknown = [];
  for (let i = 0; i < depth; i++) v = [v];
  return v;
};

export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.constantFrom(
    null,
    1e308,
    -1e308,
    -1,
    0.5,
    -0.000001,
    Number.MAX_SAFE_INTEGER + 2,
    2 ** 31,
    true,
    [],
    [[]],
    [null],
    {},
    { __proto__x: 1 },
    deep(40),
    Array.from({ length: 2_000 }, () => ({})),
    Array.from({ length: 50 }, (_, i) => `t${i}`),
  ),
);

export function resolve(schema: Schema, schemas: Record<string, Schema>): Schema {
  let s = schema;
  for (let i = 0; s.$ref && i < 10; i++) s = schemas[s.$ref.replace('#/components/schemas/', '')] ?? {};
  return s;
}

/** A value valid for `schema` (mostly), sometimes hostile at any depth (`hostility` 0..1). */
export function fromSchema(
  schema: Schema,
  schemas: Record<string, Schema>,
  hostility: number,
  depth = 0,
): fc.Arbitrary<unknown> {
  const s = resolve(schema, schemas);
  const valid = validFor(s, schemas, hostility, depth);
  if (hostility <= 0) return valid;
  const weight = Math.round(hostility * 10);
  return fc.oneof({ arbitrary: valid, weight: 10 - weight }, { arbitrary: hostileValue, weight });
}

function validFor(
  s: Schema,
  schemas: Record<string, Schema>,
  hostility: number,
  depth: number,
): fc.Arbitrary<unknown> {
  const alternatives = s.oneOf ?? s.anyOf;
  if (alternatives?.length)
    return fc.oneof(...alternatives.map((a) => fromSchema(a, schemas, hostility, depth)));
  if (s.allOf?.length) return fromSchema(s.allOf[0], schemas, hostility, depth);
  if (s.enum?.length) return fc.constantFrom(...s.enum);
  switch (s.type) {
    case 'string':
      if (s.format === 'email') return fc.emailAddress();
      if (s.format === 'uri' || s.format === 'url') return fc.webUrl();
      if (s.format === 'date-time') return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
      return fc.string({ minLength: s.minLength ?? 0, maxLength: Math.min(s.maxLength ?? 40, 200) });
    case 'integer':
      return fc.integer({ min: s.minimum ?? -1000, max: s.maximum ?? 100_000 });
    case 'number':
      return fc.double({ min: s.minimum ?? -1000, max: s.maximum ?? 100_000, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'array':
      if (depth > 4) return fc.constant([]);
      return fc.array(fromSchema(s.items ?? {}, schemas, hostility, depth + 1), {
        minLength: s.minItems ?? 0,
        maxLength: Math.min(s.maxItems ?? 5, 25),
      });
    case 'object':
    default: {
      if (!s.properties || depth > 4) return fc.constant({});
      const props = Object.fromEntries(
        Object.entries(s.properties).map(([k, v]) => [k, fromSchema(v, schemas, hostility, depth + 1)]),
      );
      return fc.record(props, { requiredKeys: s.required?.filter((k) => k in props) ?? [] });
    }
  }
}
