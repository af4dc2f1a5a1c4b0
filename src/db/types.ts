import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/** Timestamps come back as RFC 3339 strings with full (microsecond) precision; see `database.ts`. */
type Timestamp = ColumnType<string, string | undefined, string>;
type Revision = ColumnType<number, never, never>;

export interface CoverImage {
  url: string;
  alt?: string;
  caption?: string;
  credit?: string;
}

export type ArticleStatus = 'draft' | 'published' | 'archived';

export interface SourcesTable {
  id: Generated<number>;
  slug: string;
  name: string;
  homepage_url: string | null;
  description: ColumnType<string, string | undefined, string>;
  created_at: Timestamp;
  updated_at: Timestamp;
  revision: Revision;
}

export interface CategoriesTable {
  id: Generated<number>;
  slug: string;
  name: string;
  description: ColumnType<string, string | undefined, string>;
  parent_id: number | null;
  position: ColumnType<number, number | undefined, number>;
  created_at: Timestamp;
  updated_at: Timestamp;
  revision: Revision;
}

export interface ArticlesTable {
  id: Generated<number>;
  slug: string;
  title: string;
  summary: ColumnType<string, string | undefined, string>;
  body_html: ColumnType<string, string | undefined, string>;
  body_text: ColumnType<string, string | undefined, string>;
  cover_image: ColumnType<CoverImage | null, string | null | undefined, string | null>;
  author: ColumnType<string, string | undefined, string>;
  lang: ColumnType<string, string | undefined, string>;
  tags: ColumnType<string[], string[] | undefined, string[]>;
  status: ColumnType<ArticleStatus, ArticleStatus | undefined, ArticleStatus>;
  published_at: ColumnType<string | null, string | null | undefined, string | null>;
  source_id: number | null;
  source_url: string | null;
  category_id: number | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  revision: Revision;
  /** tsvector literal built by the application's tokeniser; never sent to clients. */
  search_vector: ColumnType<string | null, string | undefined, string>;
  search_title: ColumnType<string | null, string | undefined, string>;
  search_version: ColumnType<number, number | undefined, number>;
  /** Set while the article is in the trash. */
  deleted_at: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface ArticleRevisionsTable {
  id: Generated<number>;
  article_id: number;
  revision: number;
  snapshot: ColumnType<Record<string, unknown>, string, never>;
  key_id: number | null;
  key_name: string | null;
  created_at: Timestamp;
}

export interface AuditLogTable {
  id: Generated<number>;
  resource: 'source' | 'category' | 'article' | 'key';
  resource_id: number;
  action: string;
  changes: ColumnType<Record<string, unknown>, string | undefined, never>;
  key_id: number | null;
  key_name: string | null;
  created_at: Timestamp;
}

export interface ApiKeysTable {
  id: Generated<number>;
  name: string;
  prefix: string;
  secret_hash: string;
  scopes: string[];
  created_at: Timestamp;
  last_used_at: ColumnType<string | null, never, string>;
  revoked_at: ColumnType<string | null, never, string>;
}

export interface Database {
  api_keys: ApiKeysTable;
  article_revisions: ArticleRevisionsTable;
  audit_log: AuditLogTable;
  sources: SourcesTable;
  categories: CategoriesTable;
  articles: ArticlesTable;
}

export type SourceRow = Selectable<SourcesTable>;
export type CategoryRow = Selectable<CategoriesTable>;
/** An article as the API sees it: without the search index columns. */
export type ArticleRow = Omit<
  Selectable<ArticlesTable>,
  'search_vector' | 'search_title' | 'search_version' | 'deleted_at'
>;
export type NewArticle = Insertable<ArticlesTable>;
export type ArticleUpdate = Updateable<ArticlesTable>;
