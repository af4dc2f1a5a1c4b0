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

const foldedChars = new Map<string, string>();

/** Folds one character at a time, remembering each: converting whole bodies with OpenCC is too slow per request. */
function foldChar(char: string): string {
  let folded = foldedChars.get(char);
  if (folded === undefined) {
    folded = fold(char);
    if (foldedChars.size < 100_000) foldedChars.set(char, folded);
  }
  return folded;
}

/** The folded text with, for each of its code units, the index in the original text it came from. */
function foldWithMap(text: string): { folded: string; origin: number[] } {
  let folded = '';
  const origin: number[] = [];
  let index = 0;
  for (const char of text) {
    const piece = foldChar(char);
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

const WINDOW = 400;

/** Where the first term occurs, folding the text a window at a time: folding a whole body costs a millisecond. */
function firstMatch(text: string, terms: string[]): number | undefined {
  const overlap = Math.max(...terms.map((term) => term.length));
  for (let start = 0; start < text.length; start += WINDOW) {
    const found = matches(text.slice(start, start + WINDOW + overlap), terms)[0];
    if (found) return start + found[0];
  }
  return undefined;
}

/**
 * A short plain-text snippet of the best field (title, then summary, then body) with the query's terms
 * in `<mark>`; everything else is escaped, so it is safe to put in a page.
 */
export function highlight(
  fields: { title?: string; summary?: string; body_text?: string },
  terms: string[],
): string {
  if (terms.length === 0) return '';
  for (const text of [fields.title, fields.summary, fields.body_text]) {
    if (!text) continue;
    const first = firstMatch(text, terms);
    if (first === undefined) continue;
    const start = Math.max(0, Math.min(first - 30, text.length - SNIPPET_LENGTH));
    const end = Math.min(text.length, start + SNIPPET_LENGTH);
    const window = text.slice(start, end);
    let snippet = start > 0 ? '…' : '';
    let cursor = 0;
    for (const [from, to] of matches(window, terms)) {
      snippet += `${escapeHtml(window.slice(cursor, from))}<mark>${escapeHtml(window.slice(from, to))}</mark>`;
      cursor = to;
    }
    snippet += escapeHtml(window.slice(cursor)) + (end < text.length ? '…' : '');
    return snippet.replace(/\s+/g, ' ');
  }
  return '';
}
