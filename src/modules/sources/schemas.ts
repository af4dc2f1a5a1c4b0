import { type Static, Type } from 'typebox';
import { httpUrl, plainText } from '../../http/text.ts';
import { slugSchema } from '../slugs.ts';

const name = plainText({
  maxLength: 200,
  nonBlank: true,
  description: 'Display name.',
  examples: ['IT之家'],
});
const homepageUrl = Type.Union([
  httpUrl('Homepage of the source.', ['https://www.ithome.com/']),
  Type.Null(),
]);
const description = plainText({
  maxLength: 5000,
  multiline: true,
  examples: ['IT之家，青岛软媒旗下的科技门户网站。'],
});

export const SourceSchema = Type.Object(
  {
    id: Type.Integer({ examples: [1] }),
    slug: Type.String({ examples: ['ithome'] }),
    name: Type.String({ examples: ['IT之家'] }),
    homepage_url: Type.Union([Type.String({ format: 'uri' }), Type.Null()], {
      examples: ['https://www.ithome.com/'],
    }),
    description: Type.String(),
    article_count: Type.Optional(
      Type.Integer({ description: 'Public articles from this source (in list responses).', examples: [42] }),
    ),
    created_at: Type.String({ format: 'date-time', examples: ['2024-03-18T02:42:07Z'] }),
    updated_at: Type.String({ format: 'date-time', examples: ['2024-03-18T02:42:07Z'] }),
    revision: Type.Integer({ description: 'Starts at 1; +1 on every change.', examples: [1] }),
  },
  { $id: 'Source', additionalProperties: false, description: 'Where articles come from.' },
);

export const SourceCreateSchema = Type.Object(
  {
    slug: Type.Optional(slugSchema),
    name,
    homepage_url: Type.Optional(homepageUrl),
    description: Type.Optional(description),
  },
  {
    $id: 'SourceCreate',
    additionalProperties: false,
    examples: [{ name: 'IT之家', homepage_url: 'https://www.ithome.com/', description: '科技门户网站' }],
  },
);

export const SourcePatchSchema = Type.Object(
  {
    slug: Type.Optional(slugSchema),
    name: Type.Optional(name),
    homepage_url: Type.Optional(homepageUrl),
    description: Type.Optional(description),
  },
  {
    $id: 'SourcePatch',
    additionalProperties: false,
    description: 'JSON Merge Patch: only the fields given change; `null` clears homepage_url.',
    examples: [{ description: '青岛软媒旗下的科技门户网站' }],
  },
);

export const SOURCE_SORTS = ['name', '-created_at'] as const;

export type SourceCreate = Static<typeof SourceCreateSchema>;
export type SourcePatch = Static<typeof SourcePatchSchema>;
export const sourceSchemas = [SourceSchema, SourceCreateSchema, SourcePatchSchema];
