import { fold } from './tokenizer.ts';

const SNIPPET_LENGTH = 120;
const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => ESCAPES[char] as string);

/** The folded text with, for each of its code units, the index in the original text it came from. */
function foldWithMap(text: string): { folded: string; origin: number[] } {
  let folded = '';
  const origin: number[] = [];
  let index = 0;
  for (const char of text) {
    const piece = fold(char);
    folded += piece;
    for (let i = 0; i < piece.length; i++) origin.push(index);
    index += char.length;
  }
  origin.push(text.length);
  return { folded, origin };
}

function matches(text: string, terms: string[]): [number, number][] {
  const { folded, origin } = foldWithMap(text);
  const ranges: [number, number][] = [];
  for (const term of terms) {
    let from = folded.indexOf(term);
    while (from !== -1) {
      const end = from + term.length;
      ranges.push([origin[from] as number, origin[end] as number]);
      from = folded.indexOf(term, end);
    }
  }
  ranges.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const merged: [number, number][] = [];
  for (const range of ranges) {
    const last = merged.at(-1);
    if (last && range[0] <= last[1]) last[1] = Math.max(last[1], range[1]);
    else merged.push([...range]);
  }
  return merged;
}

/**
 * A short plain-text snippet of the best field (title, then summary, then body) with the query's terms
 * in `<mark>`; everything else is escaped, so it is safe to put in a page.
 */
export function highlight(
  fields: { title?: string; summary?: string; body_text?: string },
  terms: string[],
): string {
  for (const text of [fields.title, fields.summary, fields.body_text]) {
    if (!text) continue;
    const ranges = matches(text, terms);
    const first = ranges[0];
    if (!first) continue;
    const start = Math.max(0, Math.min(first[0] - 30, text.length - SNIPPET_LENGTH));
    const end = Math.min(text.length, start + SNIPPET_LENGTH);
    let snippet = start > 0 ? '…' : '';
    let cursor = start;
    for (const [from, to] of ranges) {
      if (from >= end) break;
      if (from < cursor) continue;
      snippet += `${escapeHtml(text.slice(cursor, from))}<mark>${escapeHtml(text.slice(from, Math.min(to, end)))}</mark>`;
      cursor = Math.min(to, end);
    }
    snippet += escapeHtml(text.slice(cursor, end)) + (end < text.length ? '…' : '');
    return snippet.replace(/\s+/g, ' ');
  }
  return '';
}
