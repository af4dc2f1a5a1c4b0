import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import { makeArticle, makeCategory, makeSource } from './factories.ts';
import { PROBLEM_JSON, startTestApp, type TestContext, unique } from './helpers.ts';

/*
 * Property-based fuzzing against the committed OpenAPI document: for every operation, requests are drawn
 * from the declared parameter and body schemas (valid ones, and hostile ones: wrong types, huge and empty
 * strings, NUL, emoji, right-to-left text, extreme numbers, forged cursors, duplicated and unknown
 * parameters), sent through the app's real HTTP handling, and every answer must be one the document
 * declares: never a 5xx, a declared status, a declared content type, and a body its schema accepts.
 *
 * FUZZ_RUNS sets the runs per operation (default 25); FUZZ_SEED replays another seed (default fixed, so
 * CI is reproducible); FUZZ_ONLY narrows it to some operations. A failure prints the seed, the shrunk
 * request and the response; each operation lists the statuses it saw and its slow requests.
 */

const RUNS = Number(process.env.FUZZ_RUNS ?? 25);
/** Only the operations whose "METHOD /path" contains this (e.g. `FUZZ_ONLY='GET /v1/articles'`). */
const ONLY = process.env.FUZZ_ONLY ?? '';
const SEED = Number(process.env.FUZZ_SEED ?? 20230405);
/** Requests slower than this are listed (not failed: timings on a shared machine are not a contract). */
const SLOW_MS = 500;

type Schema = Record<string, any>;

const document: Schema = JSON.parse(
  readFileSync(new URL('../openapi/openapi.json', import.meta.url), 'utf8'),
);

// ---------------------------------------------------------------------------------------------------------
// The document: operations, `$ref`s, and Ajv validators for each declared response.

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

interface Operation {
  method: string;
  path: string;
  spec: Schema;
}

const unescapePointer = (part: string) => part.replace(/~1/g, '/').replace(/~0/g, '~');
const escapePointer = (part: string) => part.replace(/~/g, '~0').replace(/\//g, '~1');

/** Follows `$ref: '#/components/...'` to the schema it names. */
function deref(schema: Schema): Schema {
  let current = schema;
  while (typeof current.$ref === 'string') {
    const parts = current.$ref.replace(/^#\//, '').split('/').map(unescapePointer);
    current = parts.reduce((node: Schema, part: string) => node[part], document);
  }
  return current;
}

const operations: Operation[] = Object.entries<Schema>(document.paths).flatMap(([path, item]) =>
  METHODS.filter((method) => item[method]).map((method) => ({
    method: method.toUpperCase(),
    path,
    spec: item[method],
  })),
);

// Reads first, then writes, deletes last (keys last of all), so the seeded data lives as long as it can.
const ORDER = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
operations.sort(
  (a, b) =>
    ORDER.indexOf(a.method) - ORDER.indexOf(b.method) ||
    Number(a.path.startsWith('/v1/keys')) - Number(b.path.startsWith('/v1/keys')),
);

const DOCUMENT_ID = 'https://newsdesk.test/openapi.json';
const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
addFormats.default(ajv);
// The whole document is one schema resource, so a response schema's `#/components/...` refs resolve.
ajv.addSchema({ ...document, $id: DOCUMENT_ID });

const validators = new Map<string, ValidateFunction>();
function validatorFor(operation: Operation, status: string, mediaType: string): ValidateFunction {
  const pointer = ['paths', operation.path, operation.method.toLowerCase(), 'responses', status]
    .concat(['content', mediaType, 'schema'])
    .map((part) => encodeURIComponent(escapePointer(part)))
    .join('/');
  let validate = validators.get(pointer);
  if (!validate) {
    validate = ajv.compile({ $ref: `${DOCUMENT_ID}#/${pointer}` });
    validators.set(pointer, validate);
  }
  return validate;
}

/** The operation a client reading the document would say a URL is: concrete paths before templated ones. */
function operationAt(method: string, pathname: string): Operation | undefined {
  const segments = pathname.split('/');
  const matches = operations.filter((operation) => {
    const template = operation.path.split('/');
    return (
      operation.method === method &&
      template.length === segments.length &&
      template.every((part, i) => part.startsWith('{') || part === segments[i])
    );
  });
  const templated = (operation: Operation) => operation.path.split('{').length;
  return matches.sort((a, b) => templated(a) - templated(b))[0];
}

// ---------------------------------------------------------------------------------------------------------
// Data the requests draw on: seeded in `before`, so ids and slugs sometimes exist.

interface Known {
  sources: (number | string)[];
  categories: (number | string)[];
  articles: (number | string)[];
  keys: (number | string)[];
  etags: string[];
  tags: string[];
  words: string[];
  cursors: string[];
  admin: { id: number; prefix: string };
}
let known: Known;

let ctx: TestContext;
before(async () => {
  ctx = await startTestApp({
    // Rate limits are not what this file fuzzes: hundreds of requests a minute must not turn into 429s.
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: '1000000',
    RATE_LIMIT_KEY_PER_MINUTE: '1000000',
    // Load shedding answers 503 to whatever request comes after the event loop fell behind (on a busy
    // machine, with the database in-process), which would blame the wrong request. It is off here, so
    // every 503 is a failure; slow requests are listed per operation instead.
    OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0',
  });

  const ithome = await makeSource(ctx, { name: 'IT之家', slug: unique('ithome') });
  const cna = await makeSource(ctx, { name: '中央社', homepage_url: null });
  const home = await makeCategory(ctx, { name: '首页' });
  const news = await makeCategory(ctx, { name: '新闻中心', parent_id: home.id });
  const english = await makeCategory(ctx, { name: 'English news' });
  const articles = [
    await makeArticle(ctx, {
      title: '谷歌公布 TPU v4 超级计算机细节',
      source_id: ithome.id,
      category_id: news.id,
      tags: ['谷歌', 'TPU'],
      cover_image: { url: 'https://img.ithome.com/tpu.jpg', caption: 'TPU v4', credit: '图片来自网络/侵删' },
    }),
    await makeArticle(ctx, {
      title: 'Chiplet Standards Gain Ground',
      lang: 'en',
      category_id: english.id,
      tags: ['chips'],
      source_id: cna.id,
    }),
    await makeArticle(ctx, { title: '南部算力中心啟用 新一代超級計算機', lang: 'zh-Hant', status: 'draft' }),
    await makeArticle(ctx, { title: 'مرحبا بالعالم 🚀', published_at: '2999-01-01T00:00:00Z' }),
    await makeArticle(ctx, { title: 'שלום עולם archived', status: 'archived' }),
  ];
  // A few revisions, so revision numbers and If-Match ETags sometimes match.
  for (const summary of ['第一版', '第二版']) {
    const response = await ctx.request({
      method: 'PATCH',
      url: `/v1/articles/${articles[0].id}`,
      payload: { summary },
    });
    assert.equal(response.statusCode, 200, response.body);
  }
  const editor = await ctx.request({
    method: 'POST',
    url: '/v1/keys',
    payload: { name: 'fuzz editor', scopes: ['content:write'] },
  });
  assert.equal(editor.statusCode, 201, editor.body);
  const keys = (await ctx.request({ method: 'GET', url: '/v1/keys' })).json().data;
  const admin = keys.find((key: any) => key.name === 'test admin');

  const cursors: string[] = [];
  for (const url of [
    '/v1/articles?limit=1',
    '/v1/articles?limit=1&sort=title',
    '/v1/articles?limit=1&sort=-updated_at&status=draft',
    '/v1/sources?limit=1',
    '/v1/categories?limit=1&sort=name',
  ]) {
    const cursor = (await ctx.request({ method: 'GET', url })).json().meta.next_cursor;
    if (cursor) cursors.push(cursor);
  }

  const idsAndSlugs = (rows: any[]) => rows.flatMap((row) => [row.id, row.slug]);
  known = {
    sources: idsAndSlugs([ithome, cna]),
    categories: idsAndSlugs([home, news, english]),
    articles: idsAndSlugs(articles),
    keys: [editor.json().data.id, editor.json().data.prefix],
    etags: [
      ...articles.flatMap((a) => [1, 2, 3].map((r) => `"article-${a.id}-r${r}"`)),
      `"source-${ithome.id}-r1"`,
      `"category-${news.id}-r1"`,
    ],
    tags: ['谷歌', 'TPU', 'chips'],
    words: ['超级计算机', '超級計算機', '计算', 'TPU', 'chiplet', '"TPU v4"', '谷歌 TPU'],
    cursors,
    admin: { id: admin.id, prefix: admin.prefix },
  };
});
after(() => ctx?.close());

// ---------------------------------------------------------------------------------------------------------
// JSON Schema -> fast-check: valid values from the declared schema.

const LETTERS = [...'abcxyzABCXYZ0189_éñ谷歌新闻聞科技芯片汉字𠜎𠜱مرحبשלום'];
const TEXT = [...LETTERS, ' ', ' ', '-', '.', ',', '&', '>', '/', '🚀', '📰', '👩🏽‍💻', '<', '\n'];

const codePoints = (value: string) => [...value].length;
const text = (maxLength: number) => fc.string({ unit: fc.constantFrom(...TEXT), maxLength });
const slugLike = fc
  .array(fc.string({ unit: fc.constantFrom(...LETTERS), minLength: 1, maxLength: 8 }), {
    minLength: 1,
    maxLength: 3,
  })
  .map((words) => words.join('-'));
const langLike = fc
  .tuple(
    fc.constantFrom('zh', 'en', 'ja', 'ar', 'he', 'yue'),
    fc.constantFrom('', '-Hans', '-Hant', '-TW', '-US'),
  )
  .map(([language, region]) => language + region);

/** RFC 3339 times, including the edges: year 0000, 9999, a leap second, odd offsets, microseconds. */
const dateTime = fc.oneof(
  fc
    .date({
      min: new Date('1900-01-01T00:00:00Z'),
      max: new Date('2200-01-01T00:00:00Z'),
      noInvalidDate: true,
    })
    .chain((date) => fc.constantFrom(date.toISOString(), date.toISOString().replace(/\.\d+Z$/, '+08:00'))),
  fc.constantFrom(
    '0000-01-01T00:00:00Z',
    '9999-12-31T23:59:59Z',
    '2016-12-31T23:59:60Z',
    '2023-04-05T09:09:19.123456+14:00',
    '2023-04-05T09:09:19-12:00',
    '1970-01-01T00:00:00Z',
  ),
);

const webUrl = fc.oneof(
  fc.webUrl({ validSchemes: ['http', 'https'], withQueryParameters: true, withFragments: true }),
  fc.constantFrom('https://www.ithome.com/0/684/123.htm', 'http://例子.测试/路径', 'https://a.b/%E8%B0%B7'),
);

function stringOf(schema: Schema): fc.Arbitrary<string> {
  const minLength = schema.minLength ?? 0;
  const maxLength = Math.max(minLength, Math.min(schema.maxLength ?? 30, 30));
  const pattern = schema.pattern ? new RegExp(schema.pattern, 'u') : undefined;
  const fits = (value: string) =>
    codePoints(value) >= minLength &&
    codePoints(value) <= (schema.maxLength ?? Number.POSITIVE_INFINITY) &&
    (!pattern || pattern.test(value));
  if (schema.format === 'date-time') return dateTime;
  if (schema.format === 'uri') return webUrl.filter(fits);
  // Patterns are honoured by drawing from a few shapes (text, slugs, language tags) and keeping what fits;
  // now and then a value as long as the schema allows.
  const longest = fc.constantFrom(...LETTERS).map((letter) => letter.repeat(schema.maxLength ?? 200));
  const shapes = pattern ? fc.oneof(text(maxLength), slugLike, langLike) : text(maxLength);
  return fc.oneof({ weight: 9, arbitrary: shapes }, { weight: 1, arbitrary: longest }).filter(fits);
}

/** Values drawn for a named property or parameter from the seeded data, when there is a natural pool. */
type Hints = (name: string) => fc.Arbitrary<unknown> | undefined;

/** Opaque or list-valued parameters a random string would almost never get right: only the hints. */
const HINTS_ONLY = new Set(['cursor', 'include', 'fields']);

function valid(schema: Schema, hints: Hints, name?: string): fc.Arbitrary<unknown> {
  const generated = fromSchema(deref(schema), hints);
  const hint = name === undefined ? undefined : hints(name);
  if (!hint) return generated;
  if (HINTS_ONLY.has(name as string)) return hint;
  return fc.oneof({ weight: 3, arbitrary: hint }, { weight: 1, arbitrary: generated });
}

function fromSchema(schema: Schema, hints: Hints): fc.Arbitrary<unknown> {
  if (schema.$ref) return valid(schema, hints);
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map((option: Schema) => valid(option, hints)));
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (Array.isArray(schema.type)) {
    return fc.oneof(...schema.type.map((type: string) => fromSchema({ ...schema, type }, hints)));
  }
  switch (schema.type) {
    case 'string':
      return stringOf(schema);
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -(2 ** 31), max: schema.maximum ?? 2 ** 31 - 1 });
    case 'number':
      return fc.double({ min: schema.minimum ?? -1e9, max: schema.maximum ?? 1e9, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const minLength = schema.minItems ?? 0;
      const maxLength = Math.max(minLength, Math.min(schema.maxItems ?? 4, 4));
      return fc.array(valid(schema.items ?? {}, hints), { minLength, maxLength });
    }
    case 'object': {
      const properties = Object.entries<Schema>(schema.properties ?? {});
      const model = Object.fromEntries(properties.map(([key, inner]) => [key, valid(inner, hints, key)]));
      return fc.record(model, { requiredKeys: schema.required ?? [] });
    }
    default:
      return fc.jsonValue();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Hostile values: wrong types, extremes and awkward text. Not all are invalid (emoji titles are fine); all
// must be answered without a 5xx and as the document says.

const HUGE = 100 * 1024;
const hostileStrings = [
  '',
  ' ',
  '\u0000',
  'nul\u0000byte',
  'x'.repeat(HUGE),
  '谷'.repeat(HUGE / 3),
  '🚀'.repeat(HUGE / 4),
  '🚀📰👩🏽‍💻',
  '𠜎𠜱𠝹𠱓',
  'مرحبا بالعالم',
  'שלום עולם',
  '\u202Egnp.exe',
  '\uFEFFbom',
  'e\u0301',
  '\uD800',
  'line\nbreak',
  '<script>alert(1)</script>',
  "' OR 1=1--",
  '"; DROP TABLE articles;--',
  '../../etc/passwd',
  'null',
  'true',
  '[]',
  '{}',
  '-1',
  '0',
  '1e308',
  '9007199254740993',
  '99999999999999999999',
  '1.5',
  'NaN',
  'Infinity',
  ',',
  ',,source,,',
  'tree',
  ' 1',
];
const hostileNumbers = [-1, 0, 1.5, 1e308, -1e308, 2 ** 53, 2 ** 53 + 2, 2 ** 31, -(2 ** 31) - 1, 5e-324];

const hostileString = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...hostileStrings) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.base64String({ maxLength: 40 }) },
);

const hostile: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  { weight: 2, arbitrary: fc.constantFrom(...hostileNumbers) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(null, true, false, [], {}, [1, 'a'], { nested: { deep: [null] } }),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

/** Cursors: base64url garbage, and well-formed ones for a real sort holding values of any kind. */
const SORTS = ['-published_at', 'published_at', '-updated_at', 'title', 'relevance', 'name', 'position'];
const cursorValue = fc.oneof(
  dateTime,
  fc.constantFrom('', '\u0000', "' OR 1=1--", '𠜎', 'infinity', '-infinity', '9999-99-99T99:99:99Z'),
  fc.constantFrom(...hostileNumbers),
  fc.constant(null),
);
const forgedCursor = fc
  .record({ s: fc.constantFrom(...SORTS), v: fc.array(cursorValue, { maxLength: 4 }) })
  .map((payload) => Buffer.from(JSON.stringify(payload)).toString('base64url'));
const garbageCursor = fc.oneof(
  fc.base64String({ maxLength: 60 }),
  fc
    .jsonValue({ maxDepth: 2 })
    .map((value) => Buffer.from(JSON.stringify(value) ?? '').toString('base64url')),
  forgedCursor,
);

// ---------------------------------------------------------------------------------------------------------
// Requests.

/** Makes a string safe for encodeURIComponent (a lone surrogate cannot be encoded as UTF-8). */
const wellFormed = (value: string) => value.replace(/[\uD800-\uDFFF]/gu, '\uFFFD');
const encode = (value: unknown) => encodeURIComponent(wellFormed(String(value)));

/** Already-encoded text that is not valid percent-encoding or UTF-8, sent as is. */
const rawGarbage = fc.constantFrom(
  '%',
  '%E4%B8',
  '%ZZ',
  '%00',
  '%ED%A0%80',
  '%C0%AF',
  '%2F',
  '..',
  '+',
  '%25',
);

/** A value as it travels in a URL: encoded, or (in a hostile request) raw garbage now and then. */
const inUrl = (value: fc.Arbitrary<unknown>, hostileToo: boolean) =>
  hostileToo
    ? fc.oneof({ weight: 9, arbitrary: value.map(encode) }, { weight: 1, arbitrary: rawGarbage })
    : value.map(encode);

const pick = <T>(values: T[]) => (values.length > 0 ? fc.constantFrom(...values) : undefined);
const commaList = (values: string[]) => fc.subarray(values, { minLength: 1 }).map((items) => items.join(','));

const ARTICLE_FIELDS = Object.keys(document.components.schemas.Article.properties);

function hintsFor(operation: Operation): Hints {
  const resource = /^\/v1\/(sources|categories|articles|keys)\//.exec(operation.path)?.[1] as
    | 'sources'
    | 'categories'
    | 'articles'
    | 'keys'
    | undefined;
  return (name) => {
    switch (name) {
      case 'idOrSlug':
      case 'idOrPrefix':
        return resource ? pick(known[resource].map(String)) : undefined;
      case 'revision':
        return fc.constantFrom(1, 2, 3);
      case 'source_id':
        return pick(known.sources.filter((value) => typeof value === 'number'));
      case 'category_id':
      case 'parent_id':
        return pick(known.categories.filter((value) => typeof value === 'number'));
      case 'resource_id':
        return pick([...known.sources, ...known.categories].filter((value) => typeof value === 'number'));
      case 'category':
      case 'parent':
        return pick(known.categories.map(String));
      case 'source':
        return fc.oneof(fc.constantFrom(...known.sources.map(String)), commaList(known.sources.map(String)));
      case 'tag':
        return pick(known.tags);
      case 'q':
        return pick(known.words);
      case 'cursor':
        return pick(known.cursors);
      case 'include':
        return fc.oneof(
          commaList(['source', 'category', 'breadcrumbs']),
          commaList(['source', 'author', ' ']),
        );
      case 'fields':
        return fc.oneof(commaList(ARTICLE_FIELDS), commaList(['id', 'highlight', 'colour', '']));
      case 'slug':
        return pick(known.articles.filter((value) => typeof value === 'string') as string[]);
      case 'if-match':
        return fc.constantFrom(...known.etags, '*', '"article-1-r999"', `${known.etags[0]}, W/"x"`);
      default:
        return undefined;
    }
  };
}

interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string;
  auth: 'admin' | 'none' | 'invalid';
  /** A GET answered 2xx is sent again with `If-None-Match: <its ETag>`, as a cache revalidating would. */
  revalidate: boolean;
}

const clip = (value: string, max = 600) =>
  value.length > max ? `${value.slice(0, max)}… (${value.length} characters in all)` : value;

const show = (request: FuzzRequest) =>
  `${request.method} ${clip(request.url)} auth=${request.auth}${request.revalidate ? ' (then revalidated)' : ''}` +
  (Object.keys(request.headers).length > 0 ? ` headers=${clip(JSON.stringify(request.headers))}` : '') +
  (request.payload === undefined ? '' : `\n  body: ${clip(request.payload)}`);

/** Media types other than JSON for a body, and JSON's spelled differently. */
const OTHER_CONTENT_TYPES = [
  'application/merge-patch+json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  '',
];

/** The value one time in three, else undefined (left out). */
const sometimes = <T>(value: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 2, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: value });

/** A parameter's value: from its schema (or the seeded data), or, in a hostile request, now and then not. */
function parameterArbitrary(parameter: Schema, hints: Hints, hostileToo: boolean): fc.Arbitrary<unknown> {
  const declared = valid(parameter.schema, hints, parameter.name);
  if (!hostileToo) return declared;
  const wrong = parameter.name === 'cursor' ? fc.oneof(hostile, garbageCursor, forgedCursor) : hostile;
  return fc.oneof({ weight: 2, arbitrary: declared }, { weight: 1, arbitrary: wrong });
}

/** The query string: declared parameters, and in a hostile request a duplicated or an unknown one. */
function queryArbitrary(parameters: Schema[], hints: Hints, hostileToo: boolean): fc.Arbitrary<string[]> {
  // Each parameter is left out two times in three, so a request names a few at once, not all of them.
  const declared = parameters.map((parameter) =>
    sometimes(
      inUrl(parameterArbitrary(parameter, hints, hostileToo), hostileToo).map(
        (value) => `${parameter.name}=${value}`,
      ),
    ),
  );
  const names = parameters.map((parameter) => parameter.name as string);
  const none = fc.constant([] as string[]);
  const extra = !hostileToo
    ? none
    : fc.oneof(
        { weight: 3, arbitrary: none },
        // A duplicated parameter: `?limit=1&limit=2`.
        ...(names.length > 0
          ? [
              {
                weight: 1,
                arbitrary: fc
                  .tuple(fc.constantFrom(...names), inUrl(hostile, true), inUrl(hostile, true))
                  .map(([name, a, b]) => [`${name}=${a}`, `${name}=${b}`]),
              },
            ]
          : []),
        {
          weight: 1,
          arbitrary: fc
            .tuple(
              fc.constantFrom('colour', 'limit[]', '__proto__', 'constructor', '', 'q.x'),
              inUrl(hostile, true),
            )
            .map(([name, value]) => [`${name}=${value}`]),
        },
        { weight: 1, arbitrary: fc.constantFrom(['&&'], ['='], ['limit'], ['a=b=c']) },
      );
  return fc
    .tuple(fc.tuple(...declared), extra)
    .map(([pairs, more]) => [...pairs.filter((pair) => pair !== undefined), ...more]);
}

/** A body from the schema; in a hostile request, one field hostile, an unknown field, all wrong, or not JSON. */
function bodyArbitrary(schema: Schema, hints: Hints, hostileToo: boolean): fc.Arbitrary<string> {
  const fields = Object.keys(deref(schema).properties ?? {});
  const validBody = valid(schema, hints) as fc.Arbitrary<Record<string, unknown>>;
  const asJson = validBody.map((body) => JSON.stringify(body));
  if (!hostileToo) return asJson;
  return fc.oneof(
    { weight: 1, arbitrary: asJson },
    {
      weight: 3,
      arbitrary: fc
        .tuple(validBody, fc.constantFrom(...fields), hostile)
        .map(([body, field, value]) => JSON.stringify({ ...body, [field]: value })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(validBody, fc.constantFrom('colour', 'id', 'body_text', 'revision', '__proto__', ''), hostile)
        .map(([body, field, value]) => JSON.stringify({ ...body, [field]: value })),
    },
    { weight: 1, arbitrary: hostile.map((value) => JSON.stringify(value) ?? 'null') },
    { weight: 1, arbitrary: fc.constantFrom('', '{', '{"title": "x"', "{'a': 1}", 'null', '[]', '\u0000') },
  );
}

/**
 * Half the requests keep to the document (every value from its schema, the admin key), so the success
 * answers get checked too; the other half mix in hostile values, extra parameters and other callers.
 */
function requestArbitrary(operation: Operation): fc.Arbitrary<FuzzRequest> {
  return fc.oneof(requestOf(operation, false), requestOf(operation, true));
}

function requestOf(operation: Operation, hostileToo: boolean): fc.Arbitrary<FuzzRequest> {
  const hints = hintsFor(operation);
  const parameters: Schema[] = operation.spec.parameters ?? [];
  const inPath = parameters.filter((parameter) => parameter.in === 'path');
  const inQuery = parameters.filter((parameter) => parameter.in === 'query');
  const inHeader = parameters.filter((parameter) => parameter.in === 'header');

  const pathValues = fc.tuple(
    ...inPath.map((parameter) => inUrl(parameterArbitrary(parameter, hints, hostileToo), hostileToo)),
  );
  const headers = fc.tuple(
    ...inHeader.map((parameter) => {
      const value = valid(parameter.schema, hints, parameter.name).map(String);
      const printable = fc.string({ unit: 'grapheme-ascii', maxLength: 40 });
      return sometimes(hostileToo ? fc.oneof(value, printable) : value);
    }),
  );
  const bodySchema = operation.spec.requestBody?.content?.['application/json']?.schema;
  // An operation without a request body gets one anyway now and then in a hostile request.
  const body = bodySchema
    ? bodyArbitrary(bodySchema, hints, hostileToo)
    : hostileToo
      ? sometimes(fc.constantFrom('{}', '{"colour":"red"}', 'null', '{'))
      : fc.constant(undefined);
  const contentType = hostileToo
    ? fc.constantFrom(...Array(6).fill('application/json'), ...OTHER_CONTENT_TYPES)
    : fc.constant('application/json');
  const auth = hostileToo
    ? fc.constantFrom<FuzzRequest['auth']>('admin', 'admin', 'admin', 'none', 'invalid')
    : fc.constant<FuzzRequest['auth']>('admin');

  return fc
    .record({
      pathValues,
      query: queryArbitrary(inQuery, hints, hostileToo),
      headers,
      body,
      auth,
      revalidate: fc.boolean(),
      contentType,
    })
    .map(({ pathValues, query, headers: headerValues, body, auth, revalidate, contentType }) => {
      let path = operation.path;
      inPath.forEach((parameter, i) => {
        path = path.replace(`{${parameter.name}}`, pathValues[i] as string);
      });
      const request: FuzzRequest = {
        method: operation.method,
        url: query.length > 0 ? `${path}?${query.join('&')}` : path,
        headers: {},
        auth,
        revalidate,
      };
      inHeader.forEach((parameter, i) => {
        if (headerValues[i] !== undefined) request.headers[parameter.name] = headerValues[i] as string;
      });
      if (body !== undefined) {
        request.payload = body;
        request.headers['content-type'] = contentType;
      }
      // Shrunk counterexamples print readably, without 100 KB strings.
      return Object.assign(request, { [fc.toStringMethod]: () => show(request) });
    });
}

async function send(request: FuzzRequest) {
  const options = {
    method: request.method as 'GET',
    url: request.url,
    headers: request.headers,
    ...(request.payload === undefined ? {} : { payload: request.payload }),
  };
  if (request.auth === 'none') return ctx.anonymous(options);
  if (request.auth === 'invalid') {
    return ctx.request({ ...options, headers: { ...request.headers, authorization: 'Bearer nd_not-a-key' } });
  }
  return ctx.request(options);
}

/** Revoking the key the fuzzer itself uses would turn every later request into a 401. */
function revokesAdmin(request: FuzzRequest): boolean {
  if (request.method !== 'DELETE' || !request.url.startsWith('/v1/keys/')) return false;
  let target: string;
  try {
    target = decodeURIComponent(request.url.split('?')[0]?.slice('/v1/keys/'.length) ?? '');
  } catch {
    return false;
  }
  return target === known.admin.prefix || (/^[0-9]+$/.test(target) && Number(target) === known.admin.id);
}

// ---------------------------------------------------------------------------------------------------------
// The contract every response must keep.

const JSON_TYPE = /^application\/(?:[\w.-]+\+)?json$/;

type Response = Awaited<ReturnType<typeof send>>;

function checkResponse(intended: Operation, request: FuzzRequest, response: Response) {
  const status = response.statusCode;
  const contentType = String(response.headers['content-type'] ?? '');
  const mediaType = contentType.split(';')[0]?.trim() ?? '';
  const where = `\n  request: ${show(request)}\n  response: ${status} ${contentType}\n  ${clip(response.body, 1500)}`;

  assert.ok(status < 500, `a ${status} (never acceptable here):${where}`);

  const pathname = request.url.split('?')[0] ?? '';
  const operation = operationAt(request.method, pathname) ?? intended;
  const declared = operation.spec.responses[String(status)] ?? operation.spec.responses.default;
  assert.ok(declared, `status ${status} is not declared for ${operation.method} ${operation.path}:${where}`);

  if (status >= 400) {
    assert.match(contentType, PROBLEM_JSON, `a ${status} must be application/problem+json:${where}`);
    const problem = response.json();
    assert.equal(typeof problem.type, 'string', `problem.type:${where}`);
    assert.equal(typeof problem.title, 'string', `problem.title:${where}`);
    assert.equal(problem.status, status, `problem.status:${where}`);
  }

  const content: Schema | undefined = declared.content;
  if (!content) {
    assert.equal(response.body, '', `${status} declares no content but has a body:${where}`);
    return;
  }
  assert.ok(
    content[mediaType],
    `content type ${mediaType || '(none)'} is not declared for ${status} (declared: ${Object.keys(content).join(', ')}):${where}`,
  );
  if (!JSON_TYPE.test(mediaType)) return; // XML feeds: the status and type are all the document says
  let body: unknown;
  try {
    body = JSON.parse(response.body);
  } catch {
    assert.fail(`${mediaType} body is not JSON:${where}`);
  }
  const validate = validatorFor(
    operation,
    declared === operation.spec.responses.default ? 'default' : String(status),
    mediaType,
  );
  assert.ok(
    validate(body),
    `the body does not match the schema for ${status} ${mediaType}: ${ajv.errorsText(validate.errors?.slice(0, 5))}${where}`,
  );
}

// ---------------------------------------------------------------------------------------------------------

describe(`contract fuzzing (${RUNS} runs per operation, seed ${SEED})`, () => {
  for (const operation of operations.filter((o) => `${o.method} ${o.path}`.includes(ONLY))) {
    test(`${operation.method} ${operation.path} answers only as the document declares`, async (t) => {
      const statuses = new Map<string, number>();
      const count = (label: string) => statuses.set(label, (statuses.get(label) ?? 0) + 1);
      const slow: string[] = [];
      await fc.assert(
        fc.asyncProperty(requestArbitrary(operation), async (request) => {
          fc.pre(!revokesAdmin(request));
          const started = performance.now();
          const response = await send(request);
          const elapsed = performance.now() - started;
          if (elapsed > SLOW_MS) slow.push(`${Math.round(elapsed)} ms: ${clip(show(request), 300)}`);
          count(String(response.statusCode));
          checkResponse(operation, request, response);
          const etag = response.headers.etag;
          const fresh = response.statusCode >= 200 && response.statusCode < 300;
          if (request.revalidate && request.method === 'GET' && fresh && typeof etag === 'string') {
            const conditional = { ...request, headers: { ...request.headers, 'if-none-match': etag } };
            const again = await send(conditional);
            count(`${again.statusCode} on revalidation`);
            checkResponse(operation, conditional, again);
          }
        }),
        { numRuns: RUNS, seed: SEED, includeErrorInReport: true },
      );
      t.diagnostic(
        `statuses: ${[...statuses]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([status, n]) => `${status}×${n}`)
          .join(' ')}`,
      );
      for (const line of slow) t.diagnostic(`slow: ${line}`);
    });
  }
});

// Found by the fuzzer: Fastify's router answers these itself, before any hook, unless `frameworkErrors`
// and `routerOptions.maxParamLength` (src/app.ts) say otherwise.
describe('what the router answers by itself', () => {
  test('a path that is not valid percent-encoding is a 400 problem', async () => {
    for (const url of ['/v1/articles/%E4%B8', '/v1/sources/%', '/v1/categories/%ZZ/breadcrumbs']) {
      const response = await ctx.request({ method: 'GET', url });
      assert.equal(response.statusCode, 400, `${url}: ${response.body}`);
      assert.match(String(response.headers['content-type']), PROBLEM_JSON);
    }
  });

  test('an id or slug as long as the document allows reaches its route', async () => {
    const slug = unique('long').padEnd(200, 'x');
    const source = await makeSource(ctx, { slug });
    const found = await ctx.request({ method: 'GET', url: `/v1/sources/${slug}` });
    assert.equal(found.statusCode, 200, found.body);
    assert.equal(found.json().data.id, source.id);
    // 200 CJK characters are 1,800 characters once percent-encoded.
    const cjkSlug = unique('长').padEnd(200, '闻');
    const cjkSource = await makeSource(ctx, { slug: cjkSlug });
    const cjkFound = await ctx.request({ method: 'GET', url: `/v1/sources/${encodeURIComponent(cjkSlug)}` });
    assert.equal(cjkFound.statusCode, 200, cjkFound.body);
    assert.equal(cjkFound.json().data.id, cjkSource.id);
    const tooLong = await ctx.request({ method: 'GET', url: `/v1/sources/${'x'.repeat(5000)}` });
    assert.equal(tooLong.statusCode, 400, tooLong.body);
    assert.match(String(tooLong.headers['content-type']), PROBLEM_JSON);
  });
});

describe('conditional requests', () => {
  // Found by the fuzzer: @fastify/etag compared If-None-Match with the ETag of whatever was sent, whatever
  // the method and status. RFC 9110 (13.1.2, 13.2.1): a 304 is for GET and HEAD answered 2xx.

  test('If-None-Match never turns an error into a 304', async () => {
    const first = await ctx.request({ method: 'GET', url: '/v1/articles?colour=red' });
    assert.equal(first.statusCode, 400);
    const again = await ctx.request({
      method: 'GET',
      url: '/v1/articles?colour=red',
      headers: { 'if-none-match': String(first.headers.etag) },
    });
    assert.equal(again.statusCode, 400, 'a 400 stays a 400 (and keeps its problem body)');
  });

  test('If-None-Match never turns a write into a 304', async () => {
    const source = await makeSource(ctx);
    const patch = {
      method: 'PATCH' as const,
      url: `/v1/sources/${source.id}`,
      payload: { description: '改' },
    };
    const first = await ctx.request(patch);
    assert.equal(first.statusCode, 200);
    const again = await ctx.request({ ...patch, headers: { 'if-none-match': String(first.headers.etag) } });
    assert.notEqual(again.statusCode, 304, 'a PATCH is never answered "Not Modified"');
  });
});
