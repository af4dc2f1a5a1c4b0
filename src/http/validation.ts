import ajvCompiler from '@fastify/ajv-compiler';
import type { FastifyServerOptions } from 'fastify';
import { isStorableInstant } from '../db/timestamps.ts';

type ValidatorFactory = NonNullable<
  NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']
>['buildValidator'];

interface StringFormat {
  type?: 'string';
  validate: (value: string) => boolean;
  compare?: (a: string, b: string) => number | undefined;
}

/** The part of Ajv that defines formats (Ajv comes with @fastify/ajv-compiler). */
interface Formats {
  formats: Record<string, unknown>;
  addFormat(name: string, format: StringFormat): unknown;
}

/**
 * `format: date-time` accepts only what Postgres stores as that instant and serves back in RFC 3339
 * (years 1 to 9999, offsets within ±15:59): a larger offset was a 500, and a year outside came back
 * in a form that broke feeds and cursors. Runs once ajv-formats has defined the RFC 3339 syntax.
 */
function storableDateTimes(ajv: Formats): void {
  const rfc3339 = ajv.formats['date-time'] as StringFormat;
  ajv.addFormat('date-time', {
    ...rfc3339,
    type: 'string',
    validate: (value: string) => rfc3339.validate(value) && isStorableInstant(value),
  });
}

/**
 * Query strings and path segments are text, so they are coerced to the schema's types (`limit=5`).
 * A JSON body already carries types: coercing there would turn `"title": 123` into "123", `"tags": "x"`
 * into ["x"] and `""` into null, hiding client bugs. Bodies are validated strictly.
 */
export function strictBodyValidator(): NonNullable<ValidatorFactory> {
  const build = ajvCompiler() as unknown as NonNullable<ValidatorFactory>;
  return (externalSchemas, options = {}) => {
    // Any onCreate Fastify was given (its `ajv.onCreate` option) still runs, after this one.
    const given = (options as { onCreate?: (ajv: Formats) => void }).onCreate;
    const onCreate = (ajv: Formats) => {
      storableDateTimes(ajv);
      given?.(ajv);
    };
    const withInstants = { ...options, onCreate } as typeof options;
    const coercing = build(externalSchemas, withInstants);
    const strict = build(externalSchemas, {
      ...withInstants,
      customOptions: { ...options.customOptions, coerceTypes: false },
    } as typeof options);
    return (route) => (route.httpPart === 'body' ? strict : coercing)(route);
  };
}
