import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import type { FastifyServerOptions } from 'fastify';

type SerializerFactory = NonNullable<
  NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildSerializer']
>;
type Schema = { [keyword: string]: unknown };

const isSchema = (value: unknown): value is Schema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isNullType = (schema: unknown) => isSchema(schema) && schema.type === 'null';

/**
 * `anyOf: [X, {type: null}]` written as X with `type: [X's type, 'null']`. Both accept the same values,
 * but fast-json-stringify serialises an anyOf by running Ajv on each value (formats included) to choose a
 * branch, while for a type list it checks `=== null`. That per-row check of `source`, `category` and
 * `cover_image` was 4% of a listing's CPU time.
 */
function nullableObjects(schema: unknown, external: Record<string, Schema>): unknown {
  if (Array.isArray(schema)) return schema.map((item) => nullableObjects(item, external));
  if (!isSchema(schema)) return schema;
  const anyOf = schema.anyOf;
  if (Array.isArray(anyOf) && anyOf.length === 2 && anyOf.some(isNullType)) {
    const option = anyOf.find((item) => !isNullType(item));
    const target = isSchema(option) && typeof option.$ref === 'string' ? external[option.$ref] : option;
    if (isSchema(target) && typeof target.type === 'string') {
      const { anyOf: _anyOf, ...siblings } = schema;
      const { $id: _id, ...nonNull } = target;
      return nullableObjects({ ...nonNull, ...siblings, type: [target.type, 'null'] }, external);
    }
  }
  return Object.fromEntries(
    Object.entries(schema).map(([keyword, value]) => [keyword, nullableObjects(value, external)]),
  );
}

/** Fastify's serializer compiler, given response schemas with nullable objects as type lists. */
export function fastNullableObjectSerializer(): SerializerFactory {
  const build = SerializerSelector() as unknown as SerializerFactory;
  return (externalSchemas, options) => {
    const external = externalSchemas as Record<string, Schema>;
    const rewritten = Object.fromEntries(
      Object.entries(external).map(([id, schema]) => [id, nullableObjects(schema, external)]),
    );
    const compile = build(rewritten, options);
    // Every route declares the same problem responses: 455 response schemas, 24 different ones. Each
    // compiled serializer is generated code held for the life of the process, so equal schemas share one.
    const compiled = new Map<string, ReturnType<typeof compile>>();
    return (route) => {
      const schema = nullableObjects(route.schema, external) as typeof route.schema;
      const key = JSON.stringify(schema);
      let serializer = compiled.get(key);
      if (!serializer) {
        serializer = compile({ ...route, schema });
        compiled.set(key, serializer);
      }
      return serializer;
    };
  };
}
