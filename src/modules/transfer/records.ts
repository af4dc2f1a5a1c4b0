import type { FastifyError } from 'fastify';
import { type Static, type TSchema, Type } from 'typebox';
import { validationProblem } from '../../http/error-handler.ts';
import { findNul } from '../../http/text-guard.ts';
import { strictBodyValidator } from '../../http/validation.ts';
import { ArticleCreateSchema, CoverImageSchema } from '../articles/schemas.ts';
import { CategoryCreateSchema } from '../categories/schemas.ts';
import { slugSchema } from '../slugs.ts';
import { SourceCreateSchema } from '../sources/schemas.ts';

/**
 * One JSON object per line. Ids are not portable, so records name each other by slug, and a file
 * lists sources, then categories (parents before children), then articles. Every record has the fields
 * and limits of the API's create schema, a required slug (its identity), and what only an export knows:
 * the timestamps, the revision number and the trash.
 */
export const FORMAT = 'newsdesk-export';
export const FORMAT_VERSION = 1;
export const RECORD_TYPES = ['source', 'category', 'article'] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const timestamp = Type.String({ format: 'date-time' });
/** Kept as it was on insert; an update of an existing row is a change like any other (the trigger counts it). */
const history = {
  created_at: Type.Optional(timestamp),
  updated_at: Type.Optional(timestamp),
  revision: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647 })),
};

const count = Type.Integer({ minimum: 0 });
export const HeaderSchema = Type.Object(
  {
    type: Type.Literal(FORMAT),
    version: Type.Integer({ minimum: 1 }),
    exported_at: Type.Optional(timestamp),
    /** Records of each type in the file: the importer reports a file that ends early. */
    counts: Type.Optional(
      Type.Object({ source: count, category: count, article: count }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: true },
);

export const SourceRecordSchema = Type.Object(
  { type: Type.Literal('source'), ...SourceCreateSchema.properties, slug: slugSchema, ...history },
  { additionalProperties: false },
);

const { parent_id: _parentId, ...categoryFields } = CategoryCreateSchema.properties;
export const CategoryRecordSchema = Type.Object(
  {
    type: Type.Literal('category'),
    ...categoryFields,
    slug: slugSchema,
    parent_slug: Type.Optional(nullable(slugSchema)),
    ...history,
  },
  { additionalProperties: false },
);

const { source_id: _sourceId, category_id: _categoryId, ...articleFields } = ArticleCreateSchema.properties;
export const ArticleRecordSchema = Type.Object(
  {
    type: Type.Literal('article'),
    ...articleFields,
    slug: slugSchema,
    source_slug: Type.Optional(nullable(slugSchema)),
    category_slug: Type.Optional(nullable(slugSchema)),
    ...history,
    deleted_at: Type.Optional(nullable(timestamp)),
  },
  { additionalProperties: false },
);

export type Header = Static<typeof HeaderSchema>;
export type SourceRecord = Static<typeof SourceRecordSchema>;
export type CategoryRecord = Static<typeof CategoryRecordSchema>;
export type ArticleRecord = Static<typeof ArticleRecordSchema>;
export type ContentRecord = SourceRecord | CategoryRecord | ArticleRecord;

// The validator the API uses for request bodies (same Ajv options, formats and messages), so a record
// passes exactly when the same fields would pass `POST /v1/<type>s`.
const buildValidator = strictBodyValidator()(
  { CoverImage: CoverImageSchema },
  { customOptions: { removeAdditional: false, useDefaults: false, allErrors: true } },
);

function validator(schema: TSchema) {
  const validate = buildValidator({ schema, method: 'POST', url: '/import', httpPart: 'body' });
  return (data: unknown): string | undefined => {
    if (validate(data)) return undefined;
    const error = { validation: validate.errors, validationContext: 'body' } as unknown as FastifyError;
    return validationProblem(error).message;
  };
}

const validators = {
  source: validator(SourceRecordSchema),
  category: validator(CategoryRecordSchema),
  article: validator(ArticleRecordSchema),
};
const validateHeader = validator(HeaderSchema);

export type Parsed =
  | { ok: true; record: ContentRecord }
  | { ok: false; type: RecordType | undefined; message: string };

/** One line of a file: the record it holds, or what is wrong with it (naming the field). */
export function parseRecord(line: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return { ok: false, type: undefined, message: `not valid JSON: ${(error as Error).message}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, type: undefined, message: 'not a JSON object' };
  }
  const type = (value as { type?: unknown }).type;
  if (!RECORD_TYPES.includes(type as RecordType)) {
    const named = type === FORMAT ? 'a second header' : `unknown record type ${JSON.stringify(type)}`;
    return { ok: false, type: undefined, message: `${named}; expected one of: ${RECORD_TYPES.join(', ')}` };
  }
  const known = type as RecordType;
  // Postgres text cannot hold U+0000; JSON can (`\u0000`).
  const nul = findNul(value, '');
  if (nul)
    return { ok: false, type: known, message: `field '${nul.slice(1)}' must not contain NUL (U+0000)` };
  const problem = validators[known](value);
  if (problem) return { ok: false, type: known, message: problem };
  return { ok: true, record: value as ContentRecord };
}

/** The first line: a header this program can read, or a message saying why not. */
export function parseHeader(line: string): { ok: true; header: Header } | { ok: false; message: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    value = undefined;
  }
  if ((value as { type?: unknown } | undefined)?.type !== FORMAT) {
    return {
      ok: false,
      message: `not a Newsdesk export: the first line must be a {"type":"${FORMAT}","version":${FORMAT_VERSION}} header`,
    };
  }
  const problem = validateHeader(value);
  if (problem) return { ok: false, message: `the header is invalid: ${problem}` };
  const header = value as Header;
  if (header.version > FORMAT_VERSION) {
    return {
      ok: false,
      message: `the file is format version ${header.version}; this Newsdesk reads version ${FORMAT_VERSION}`,
    };
  }
  return { ok: true, header };
}
