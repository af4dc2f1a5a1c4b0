import { Feed } from 'feed';
import type { ArticleRow, SourceRow } from '../../db/types.ts';

export type FeedFormat = 'rss' | 'atom' | 'json';

export interface FeedContext {
  title: string;
  description: string;
  /** The site's home, absolute. */
  homeUrl: string;
  /** Absolute URLs of this feed in each format (same filters). */
  feedUrls: Record<FeedFormat, string>;
  language?: string;
  articleUrl(article: Pick<ArticleRow, 'id' | 'slug'>): string;
}

export type FeedArticle = ArticleRow & { source?: SourceRow | null };

function buildFeed(context: FeedContext, articles: FeedArticle[]): Feed {
  const newest = articles[0]?.published_at;
  const feed = new Feed({
    id: context.feedUrls.atom,
    title: context.title,
    description: context.description,
    link: context.homeUrl,
    ...(context.language ? { language: context.language } : {}),
    updated: newest ? new Date(newest) : new Date(0),
    generator: 'Newsdesk',
    feedLinks: { rss: context.feedUrls.rss, atom: context.feedUrls.atom, json: context.feedUrls.json },
    copyright: '',
  });
  for (const article of articles) {
    const published = new Date(article.published_at ?? article.created_at);
    feed.addItem({
      id: context.articleUrl(article),
      title: article.title,
      link: context.articleUrl(article),
      date: published,
      published,
      description: article.summary,
      content: article.body_html,
      ...(article.author ? { author: [{ name: article.author }] } : {}),
      ...(article.tags.length ? { category: article.tags.map((tag) => ({ name: tag })) } : {}),
      ...(article.cover_image ? { image: article.cover_image.url } : {}),
    });
  }
  return feed;
}

/**
 * The `feed` library writes JSON Feed 1.0; 1.1 renamed `author` to `authors` (a list) and added
 * `language`, so its output is lifted to 1.1 here.
 */
function jsonFeed11(feed: Feed, language: string | undefined): string {
  const document = JSON.parse(feed.json1()) as Record<string, unknown> & { items: Record<string, unknown>[] };
  document.version = 'https://jsonfeed.org/version/1.1';
  if (language) document.language = language;
  for (const holder of [document, ...document.items]) {
    if (holder.author) {
      holder.authors = [holder.author];
      delete holder.author;
    }
  }
  return JSON.stringify(document);
}

export function renderFeed(format: FeedFormat, context: FeedContext, articles: FeedArticle[]): string {
  const feed = buildFeed(context, articles);
  if (format === 'rss') return feed.rss2();
  if (format === 'atom') return feed.atom1();
  return jsonFeed11(feed, context.language);
}
