import { Type } from 'typebox';

/**
 * Plain text: no control characters (tabs and line breaks only where `multiline`) and nothing that reads as
 * markup (`<b>`, `</p>`, `<!--`), so a plain field can never smuggle HTML into a page that trusts it.
 */
const NO_MARKUP = '(?![\\s\\S]*<[A-Za-z/!?])';
export const SINGLE_LINE_PATTERN = `^${NO_MARKUP}[^\\u0000-\\u001F\\u007F]*$`;
export const MULTILINE_PATTERN = `^${NO_MARKUP}[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F]*$`;
export const NON_BLANK_SINGLE_LINE_PATTERN = `^${NO_MARKUP}(?=.*\\S)[^\\u0000-\\u001F\\u007F]*$`;

export const TEXT_PATTERN_MESSAGES: Record<string, string> = {
  [SINGLE_LINE_PATTERN]: 'must be plain text on one line: no markup, control characters or line breaks',
  [MULTILINE_PATTERN]: 'must be plain text: no markup or control characters',
  [NON_BLANK_SINGLE_LINE_PATTERN]:
    'must be plain text on one line, not blank: no markup, control characters or line breaks',
};

interface PlainTextOptions {
  maxLength: number;
  multiline?: boolean;
  /** Required to hold something other than white space. */
  nonBlank?: boolean;
  description?: string;
  examples?: string[];
}

export function plainText({ multiline, nonBlank, ...rest }: PlainTextOptions) {
  const pattern = nonBlank
    ? NON_BLANK_SINGLE_LINE_PATTERN
    : multiline
      ? MULTILINE_PATTERN
      : SINGLE_LINE_PATTERN;
  return Type.String({ ...rest, ...(nonBlank ? { minLength: 1 } : {}), pattern });
}

export function httpUrl(description: string, examples: string[]) {
  return Type.String({ maxLength: 2000, format: 'uri', pattern: '^https?://', description, examples });
}
