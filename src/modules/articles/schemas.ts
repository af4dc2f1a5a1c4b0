import { type Static, type TSchema, Type } from 'typebox';
import { orNull, ref } from '../../http/schemas.ts';
import { httpUrl, plainText } from '../../http/text.ts';
import { BreadcrumbSchema, CategorySchema } from '../categories/schemas.ts';
import { slugSchema } from '../slugs.ts';
import { SourceSchema } from '../sources/schemas.ts';

export const ARTICLE_STATUSES = ['draft', 'published', 'archived'] as const;
export const LISTING_STATUSES = [...ARTICLE_STATUSES, 'trashed'] as const;
export const ARTICLE_SORTS = ['-published_at', 'published_at', '-updated_at', 'title', 'relevance'] as const;
export const ARTICLE_INCLUDES = ['source', 'category', 'breadcrumbs'] as const;

const nullable = <T extends TSchema>(schema: T, options: Record<string, unknown> = {}) =>
  Type.Union([schema, Type.Null()], options);
const timestamp = (description: string) =>
  Type.String({ format: 'date-time', description, examples: ['2023-04-05T01:09:19Z'] });

export const CoverImageSchema = Type.Object(
  {
    url: httpUrl('Image address.', ['https://img.ithome.com/newsuploadfiles/2023/4/5/cover.jpg']),
    alt: Type.Optional(
      plainText({ maxLength: 500, description: 'Text alternative.', examples: ['谷歌 TPU v4 机柜'] }),
    ),
    caption: Type.Optional(plainText({ maxLength: 1000, examples: ['谷歌数据中心内的 TPU v4 集群'] })),
    credit: Type.Optional(plainText({ maxLength: 300, examples: ['图片来自网络/侵删'] })),
  },
  { $id: 'CoverImage', additionalProperties: false },
);

const articleProperties = {
  id: Type.Integer({ examples: [101] }),
  slug: Type.String({ examples: ['谷歌-tpu-v4-超级计算机'] }),
  title: Type.String({ examples: ['谷歌公布 TPU v4 超级计算机细节'] }),
  summary: Type.String({ description: 'Short plain-text summary; derived from the body when not given.' }),
  body_html: Type.String({ description: 'Sanitised HTML body.' }),
  body_text: Type.String({ description: 'Plain text derived from body_html (read-only).' }),
  cover_image: nullable(ref(CoverImageSchema)),
  author: Type.String({ examples: ['故渊'] }),
  lang: Type.String({ description: 'BCP 47 language tag.', examples: ['zh-Hans'] }),
  tags: Type.Array(Type.String(), { examples: [['谷歌', 'TPU']] }),
  status: Type.Enum(ARTICLE_STATUSES, {
    description: 'Only `published` articles whose published_at has come are public.',
  }),
  published_at: orNull(timestamp('Publication time; a future time schedules the article.')),
  source_id: orNull(Type.Integer({ examples: [1] })),
  source_url: orNull(Type.String({ format: 'uri', examples: ['https://www.ithome.com/0/684/123.htm'] })),
  category_id: orNull(Type.Integer({ examples: [3] })),
  created_at: timestamp('When the article was created.'),
  updated_at: timestamp('When the article last changed.'),
  revision: Type.Integer({ description: 'Starts at 1; +1 on every change.', examples: [1] }),
  source: Type.Optional(nullable(ref(SourceSchema), { description: 'With `include=source`.' })),
  category: Type.Optional(nullable(ref(CategorySchema), { description: 'With `include=category`.' })),
  breadcrumbs: Type.Optional(
    Type.Array(ref(BreadcrumbSchema), { description: 'With `include=breadcrumbs`: root-to-category path.' }),
  ),
};

export const ArticleSchema = Type.Object(articleProperties, {
  $id: 'Article',
  additionalProperties: false,
  description:
    'A news article. `source`, `category` and `breadcrumbs` appear only when asked for with `include=`.',
});

export const ArticleListItemSchema = Type.Object(
  {
    ...Type.Partial(Type.Object(articleProperties)).properties,
    id: articleProperties.id,
    highlight: Type.Optional(
      Type.String({
        description:
          'With `q=`: a short plain-text snippet of the best-matching field (title, summary, then body) with the matched terms in `<mark>`; all other text is HTML-escaped.',
        examples: ['谷歌公布 TPU v4 <mark>超级计算机</mark>细节'],
      }),
    ),
  },
  {
    $id: 'ArticleListItem',
    additionalProperties: false,
    description:
      'An Article as listed: every property is present unless `fields=` trims it (`id` always is).',
  },
);

export const ArticleLinkSchema = Type.Object(
  {
    id: Type.Integer(),
    slug: Type.String(),
    title: Type.String(),
    published_at: timestamp('Publication time.'),
  },
  { $id: 'ArticleLink', additionalProperties: false, description: 'Enough of an article to link to it.' },
);

const writable = {
  slug: slugSchema,
  title: plainText({ maxLength: 500, nonBlank: true, examples: ['谷歌公布 TPU v4 超级计算机细节'] }),
  summary: plainText({ maxLength: 2000, multiline: true }),
  body_html: Type.String({ maxLength: 500000, description: 'HTML; sanitised on write.' }),
  cover_image: nullable(ref(CoverImageSchema)),
  author: plainText({ maxLength: 200, examples: ['故渊'] }),
  lang: Type.String({
    maxLength: 35,
    pattern: '^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$',
    description: 'BCP 47 language tag.',
    examples: ['zh-Hans', 'zh-Hant', 'en'],
  }),
  tags: Type.Array(plainText({ maxLength: 50, nonBlank: true }), {
    maxItems: 30,
    examples: [['谷歌', 'TPU']],
  }),
  status: Type.Enum(ARTICLE_STATUSES, { description: 'Publishing without published_at sets it to now.' }),
  published_at: nullable(
    Type.String({
      format: 'date-time',
      description: 'RFC 3339 with an offset.',
      examples: ['2023-04-05T09:09:19+08:00'],
    }),
  ),
  source_id: nullable(Type.Integer({ minimum: 1, maximum: 2147483647 })),
  source_url: nullable(httpUrl("The original article's address.", ['https://www.ithome.com/0/684/123.htm'])),
  category_id: nullable(Type.Integer({ minimum: 1, maximum: 2147483647 })),
};

export const ArticleCreateSchema = Type.Object(
  { ...Type.Partial(Type.Object(writable)).properties, title: writable.title },
  {
    $id: 'ArticleCreate',
    additionalProperties: false,
    examples: [
      {
        title: '谷歌公布 TPU v4 超级计算机细节',
        body_html: '<p>谷歌公布了其用于训练人工智能模型的超级计算机的新细节。</p>',
        lang: 'zh-Hans',
        tags: ['谷歌', 'TPU'],
        status: 'published',
        published_at: '2023-04-05T09:09:19+08:00',
        source_id: 1,
        source_url: 'https://www.ithome.com/0/684/123.htm',
        category_id: 3,
      },
    ],
  },
);

export const ArticlePatchSchema = Type.Partial(Type.Object(writable), {
  $id: 'ArticlePatch',
  additionalProperties: false,
  description: 'JSON Merge Patch: only the fields given change; `null` clears a nullable field.',
  examples: [{ status: 'published' }],
});

export const ArticleRevisionSchema = Type.Object(
  {
    revision: Type.Integer({ description: 'The revision number the article had.', examples: [3] }),
    key_id: Type.Union([Type.Integer(), Type.Null()], {
      description: 'The API key that changed it from this state.',
    }),
    key_name: Type.Union([Type.String(), Type.Null()], { examples: ['editor'] }),
    created_at: Type.String({ format: 'date-time', description: 'When it was changed from this state.' }),
  },
  { $id: 'ArticleRevision', additionalProperties: false },
);

export const articleSchemas = [
  ArticleRevisionSchema,
  CoverImageSchema,
  ArticleSchema,
  ArticleListItemSchema,
  ArticleLinkSchema,
  ArticleCreateSchema,
  ArticlePatchSchema,
];

export type ArticleCreate = Static<typeof ArticleCreateSchema>;
export type ArticlePatch = Static<typeof ArticlePatchSchema>;
export type ArticleSort = (typeof ARTICLE_SORTS)[number];
export type ArticleInclude = (typeof ARTICLE_INCLUDES)[number];
