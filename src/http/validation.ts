import ajvCompiler from '@fastify/ajv-compiler';
import type { FastifyServerOptions } from 'fastify';

type ValidatorFactory = NonNullable<
  NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']
>['buildValidator'];

/**
 * Query strings and path segments are text, so they are coerced to the schema's types (`limit=5`).
 * A JSON body already carries types: coercing there would turn `"title": 123` into "123", `"tags": "x"`
 * into ["x"] and `""` into null, hiding client bugs. Bodies are validated strictly.
 */
export function strictBodyValidator(): NonNullable<ValidatorFactory> {
  const build = ajvCompiler() as unknown as NonNullable<ValidatorFactory>;
  return (externalSchemas, options = {}) => {
    const coercing = build(externalSchemas, options);
    const strict = build(externalSchemas, {
      ...options,
      customOptions: { ...options.customOptions, coerceTypes: false },
    } as typeof options);
    return (route) => (route.httpPart === 'body' ? strict : coercing)(route);
  };
}
