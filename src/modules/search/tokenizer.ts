import * as OpenCC from 'opencc-js/t2cn';

/**
 * Bump when tokens change: rows indexed by an older version are re-indexed by `npm run search:reindex`
 * (and on start).
 */
export const TOKENIZER_VERSION = 1;

const hongKongToSimplified = OpenCC.Converter({ from: 'hk', to: 'cn' });
const taiwanToSimplified = OpenCC.Converter({ from: 'tw', to: 'cn' });

const LATIN_ACCENTS = /(\p{Script=Latin})\p{M}+/gu;

/**
 * One spelling for search: compatibility forms unified (ｔｐｕ → tpu), lower case, Latin accents dropped,
 * traditional characters folded to simplified (超級計算機 → 超级计算机).
 */
export function fold(text: string): string {
  const latin = text
    .normalize('NFKC')
    .toLowerCase()
    .normalize('NFD')
    .replace(LATIN_ACCENTS, '$1')
    .normalize('NFC');
  return taiwanToSimplified(hongKongToSimplified(latin));
}

/** Scripts written without spaces between words: indexed as overlapping character pairs. */
const RUN =
  /([\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]+)|((?:(?![\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}])[\p{L}\p{N}])+)/gu;

const MAX_WORD_LENGTH = 64;

export interface Token {
  lexeme: string;
  position: number;
  /** Main tokens carry a query; unigrams inside longer CJK runs exist only so one-character queries match. */
  primary: boolean;
}

export interface Run {
  text: string;
  cjk: boolean;
}

export function runsOf(folded: string): Run[] {
  const runs: Run[] = [];
  for (const match of folded.matchAll(RUN)) {
    if (match[1]) runs.push({ text: match[1], cjk: true });
    else if (match[2] && match[2].length <= MAX_WORD_LENGTH) runs.push({ text: match[2], cjk: false });
  }
  return runs;
}

/**
 * Tokens with positions: a Latin or digit run is one word; a CJK run of n characters gives n-1 bigrams
 * and n unigrams, the bigram starting at character i sharing position i with its unigram, so chaining
 * a query's bigrams with `<->` matches exactly the original character sequence.
 */
export function tokenize(text: string, firstPosition = 1): { tokens: Token[]; nextPosition: number } {
  const tokens: Token[] = [];
  let position = firstPosition;
  for (const run of runsOf(fold(text))) {
    if (!run.cjk) {
      tokens.push({ lexeme: run.text, position, primary: true });
      position += 1;
      continue;
    }
    const chars = [...run.text];
    chars.forEach((char, i) => {
      const next = chars[i + 1];
      if (next !== undefined) tokens.push({ lexeme: char + next, position: position + i, primary: true });
      tokens.push({ lexeme: char, position: position + i, primary: chars.length === 1 });
    });
    position += chars.length;
  }
  return { tokens, nextPosition: position };
}

const MAX_POSITION = 16383; // Postgres' limit for tsvector positions
const MAX_POSITIONS_PER_LEXEME = 256; // and for positions kept per lexeme
const FIELD_GAP = 16; // keeps a phrase from matching across the end of one field and the start of the next

export interface SearchableFields {
  title: string;
  summary: string;
  body_text: string;
}

/** A tsvector literal: title words weigh A, summary B, body C. Built here, so no database parser is involved. */
export function searchVector(fields: SearchableFields): string {
  const positions = new Map<string, string[]>();
  let next = 1;
  for (const [text, weight] of [
    [fields.title, 'A'],
    [fields.summary, 'B'],
    [fields.body_text, 'C'],
  ] as const) {
    const { tokens, nextPosition } = tokenize(text, next);
    for (const token of tokens) {
      if (token.position > MAX_POSITION) break;
      const list = positions.get(token.lexeme) ?? [];
      if (list.length < MAX_POSITIONS_PER_LEXEME) list.push(`${token.position}${weight}`);
      positions.set(token.lexeme, list);
    }
    next = Math.min(nextPosition + FIELD_GAP, MAX_POSITION);
  }
  return [...positions].map(([lexeme, list]) => `'${lexeme}':${list.join(',')}`).join(' ');
}

export interface ParsedQuery {
  /** A tsquery literal: each term or quoted phrase matched as a phrase, all of them required. */
  tsquery: string;
  /** Folded strings to mark in highlights. */
  terms: string[];
}

function phraseQuery(text: string): { query: string; terms: string[] } | undefined {
  const primary = tokenize(text).tokens.filter((token) => token.primary);
  const first = primary[0];
  if (!first) return undefined;
  let query = `'${first.lexeme}'`;
  for (let i = 1; i < primary.length; i++) {
    const token = primary[i] as Token;
    const distance = token.position - (primary[i - 1] as Token).position;
    query += distance === 1 ? ` <-> '${token.lexeme}'` : ` <${distance}> '${token.lexeme}'`;
  }
  return {
    query: primary.length > 1 ? `(${query})` : query,
    terms: runsOf(fold(text)).map((run) => run.text),
  };
}

/** `q=` → tsquery: words and CJK runs are AND-ed; "quoted words" must stand together. */
export function parseQuery(q: string): ParsedQuery | undefined {
  const parts: string[] = [];
  const terms = new Set<string>();
  const pieces = q.match(/"[^"]*"|[^\s"]+/g) ?? [];
  for (const piece of pieces) {
    const phrase = phraseQuery(piece.replace(/"/g, ''));
    if (!phrase) continue;
    parts.push(phrase.query);
    for (const term of phrase.terms) terms.add(term);
  }
  if (parts.length === 0) return undefined;
  return { tsquery: parts.join(' & '), terms: [...terms] };
}

/** Any of the text's words or character pairs: what "shares terms with" means for related articles. */
export function anyTermQuery(text: string, maxTerms = 24): string | undefined {
  const lexemes = [
    ...new Set(
      tokenize(text)
        .tokens.filter((token) => token.primary)
        .map((token) => token.lexeme),
    ),
  ];
  if (lexemes.length === 0) return undefined;
  return lexemes
    .slice(0, maxTerms)
    .map((lexeme) => `'${lexeme}'`)
    .join(' | ');
}
