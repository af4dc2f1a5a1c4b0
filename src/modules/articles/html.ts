import { convert } from 'html-to-text';
import sanitizeHtml from 'sanitize-html';

const HIDING_STYLE =
  /(display\s*:\s*none|visibility\s*:\s*(hidden|collapse)|opacity\s*:\s*0*(\.0+)?\s*(;|!|$)|font-size\s*:\s*0+(\.0+)?[a-z%]*\s*(;|!|$)|(height|width|max-height|max-width)\s*:\s*0+[a-z%]*\s*(;|!|$)|(left|top|right|text-indent|margin-left)\s*:\s*-\d{3,}|clip\s*:\s*rect\(\s*0)/i;

function isHidden(attribs: Record<string, string>): boolean {
  return 'hidden' in attribs || attribs['aria-hidden'] === 'true' || HIDING_STYLE.test(attribs.style ?? '');
}

/** What a news article needs: text structure, links, figures with captions, tables, quotes. */
const NEWS_ALLOWLIST: sanitizeHtml.IOptions = {
  allowedTags: [
    'p',
    'br',
    'hr',
    'h2',
    'h3',
    'h4',
    'h5',
    'h6',
    'strong',
    'b',
    'em',
    'i',
    'u',
    's',
    'sub',
    'sup',
    'mark',
    'small',
    'abbr',
    'cite',
    'q',
    'code',
    'pre',
    'blockquote',
    'ul',
    'ol',
    'li',
    'dl',
    'dt',
    'dd',
    'a',
    'img',
    'figure',
    'figcaption',
    'table',
    'caption',
    'thead',
    'tbody',
    'tfoot',
    'tr',
    'th',
    'td',
    'span',
    'div',
  ],
  allowedAttributes: {
    a: ['href', 'title', 'rel', 'target'],
    img: ['src', 'alt', 'title', 'width', 'height'],
    th: ['colspan', 'rowspan', 'scope'],
    td: ['colspan', 'rowspan'],
    abbr: ['title'],
    q: ['cite'],
    blockquote: ['cite'],
  },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesByTag: { img: ['http', 'https'] },
  allowProtocolRelative: false,
  nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'iframe', 'object', 'embed'],
  // Spam injected into a hacked page hides in invisible blocks: those go with everything inside them.
  exclusiveFilter: (frame) => isHidden(frame.attribs),
  transformTags: {
    a: (tagName, attribs) => {
      const external = /^https?:\/\//i.test(attribs.href ?? '');
      return { tagName, attribs: external ? { ...attribs, rel: 'noopener nofollow' } : attribs };
    },
  },
};

export interface HtmlPolicy {
  /** Hosts whose iframes (video players, maps) may stay in an article; every other iframe goes. */
  iframeHosts: readonly string[];
}

export const DEFAULT_HTML_POLICY: HtmlPolicy = { iframeHosts: [] };

function iframeAllowed(src: string | undefined, hosts: readonly string[]): boolean {
  try {
    const url = new URL(src ?? '');
    return url.protocol === 'https:' && hosts.includes(url.hostname);
  } catch {
    return false;
  }
}

export function sanitizeArticleHtml(html: string, policy: HtmlPolicy = DEFAULT_HTML_POLICY): string {
  if (policy.iframeHosts.length === 0) return sanitizeHtml(html, NEWS_ALLOWLIST).trim();
  return sanitizeHtml(html, {
    ...NEWS_ALLOWLIST,
    allowedTags: [...(NEWS_ALLOWLIST.allowedTags as string[]), 'iframe'],
    allowedAttributes: {
      ...NEWS_ALLOWLIST.allowedAttributes,
      iframe: ['src', 'width', 'height', 'title', 'allowfullscreen'],
    },
    allowedSchemesByTag: {
      ...(NEWS_ALLOWLIST.allowedSchemesByTag as Record<string, string[]>),
      iframe: ['https'],
    },
    nonTextTags: (NEWS_ALLOWLIST.nonTextTags as string[]).filter((tag) => tag !== 'iframe'),
    exclusiveFilter: (frame) =>
      isHidden(frame.attribs) ||
      (frame.tag === 'iframe' && !iframeAllowed(frame.attribs.src, policy.iframeHosts)),
  }).trim();
}

export function htmlToPlainText(html: string): string {
  return convert(html, {
    wordwrap: false,
    selectors: [
      { selector: 'a', options: { ignoreHref: true } },
      { selector: 'img', format: 'skip' },
      { selector: 'h2', options: { uppercase: false } },
      { selector: 'h3', options: { uppercase: false } },
      { selector: 'h4', options: { uppercase: false } },
      { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false } },
    ],
  })
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

const SUMMARY_LENGTH = 200;

/** The first ~200 characters of the body, cut at a sentence end where one is close. */
export function summarise(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const chars = [...flat];
  if (chars.length <= SUMMARY_LENGTH) return flat;
  const head = chars.slice(0, SUMMARY_LENGTH).join('');
  const sentenceEnd = Math.max(...['。', '！', '？', '. ', '! ', '? '].map((mark) => head.lastIndexOf(mark)));
  return sentenceEnd > SUMMARY_LENGTH / 2 ? head.slice(0, sentenceEnd + 1).trim() : `${head}…`;
}
