import { type Static, Type } from 'typebox';
import { plainText } from '../../http/text.ts';
import { slugSchema } from '../slugs.ts';

const name = plainText({
  maxLength: 200,
  nonBlank: true,
  description: 'Display name.',
  examples: ['新闻动态'],
});
const description = plainText({ maxLength: 5000, multiline: true, examples: ['公司最新动态'] });
const parentId = Type.Union([Type.Integer({ minimum: 1, maximum: 2147483647 }), Type.Null()], {
  description: 'Parent category id; `null` makes it a root.',
  examples: [2],
});
const position = Type.Integer({
  minimum: -1000000,
  maximum: 1000000,
  description: 'Order among siblings (ascending). Defaults to after the last sibling.',
  examples: [0],
});

const categoryProperties = {
  id: Type.Integer({ examples: [3] }),
  slug: Type.String({ examples: ['news-updates'] }),
  name: Type.String({ examples: ['新闻动态'] }),
  description: Type.String(),
  parent_id: Type.Union([Type.Integer(), Type.Null()], { examples: [2] }),
  position: Type.Integer({ examples: [0] }),
  created_at: Type.String({ format: 'date-time', examples: ['2024-03-18T02:42:07Z'] }),
  updated_at: Type.String({ format: 'date-time', examples: ['2024-03-18T02:42:07Z'] }),
  revision: Type.Integer({ examples: [1] }),
};

export const CategorySchema = Type.Object(categoryProperties, {
  $id: 'Category',
  additionalProperties: false,
  description: 'A node of the category tree ("首页 > 新闻中心 > 新闻动态").',
});

export const CategoryTreeNodeSchema = Type.Object(
  {
    ...categoryProperties,
    article_count: Type.Integer({
      description: 'Public articles filed directly in this category.',
      examples: [12],
    }),
    children: Type.Array(Type.Ref('CategoryTreeNode'), { description: 'Child categories, by position.' }),
  },
  { $id: 'CategoryTreeNode', additionalProperties: false },
);

export const BreadcrumbSchema = Type.Object(
  {
    id: Type.Integer({ examples: [1] }),
    slug: Type.String({ examples: ['home'] }),
    name: Type.String({ examples: ['首页'] }),
  },
  { $id: 'Breadcrumb', additionalProperties: false, description: 'One step of a root-to-node path.' },
);

export const CategoryCreateSchema = Type.Object(
  {
    slug: Type.Optional(slugSchema),
    name,
    description: Type.Optional(description),
    parent_id: Type.Optional(parentId),
    position: Type.Optional(position),
  },
  { $id: 'CategoryCreate', additionalProperties: false, examples: [{ name: '新闻动态', parent_id: 2 }] },
);

export const CategoryPatchSchema = Type.Object(
  {
    slug: Type.Optional(slugSchema),
    name: Type.Optional(name),
    description: Type.Optional(description),
    parent_id: Type.Optional(parentId),
    position: Type.Optional(position),
  },
  {
    $id: 'CategoryPatch',
    additionalProperties: false,
    description: 'JSON Merge Patch. Moving a category under itself or its own descendant is a 409.',
    examples: [{ parent_id: 1, position: 0 }],
  },
);

export const CATEGORY_SORTS = ['position', 'name'] as const;

export type CategoryCreate = Static<typeof CategoryCreateSchema>;
export type CategoryPatch = Static<typeof CategoryPatchSchema>;
export const categorySchemas = [
  CategorySchema,
  CategoryTreeNodeSchema,
  BreadcrumbSchema,
  CategoryCreateSchema,
  CategoryPatchSchema,
];
