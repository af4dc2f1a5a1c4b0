const POSTGRES_TIMESTAMPTZ =
  /^(\d{4,}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)([+-]\d\d)(?::(\d\d))?(?::\d\d)?$/;

const SPACE = 0x20;
const HYPHEN = 0x2d;

/**
 * Turns Postgres' text form of a timestamptz into RFC 3339, keeping every digit: a JS `Date` would drop
 * the microseconds that `now()` writes, and keyset cursors built from such a value skip rows.
 */
export function timestamptzToRfc3339(text: string): string {
  // Connections run in UTC, so almost every value is `2026-11-28 09:47:30.324314+00`: rewritten without
  // the regular expression, which an article row would otherwise run three times on every read.
  if (
    text.length >= 22 &&
    text.charCodeAt(4) === HYPHEN &&
    text.charCodeAt(10) === SPACE &&
    text.endsWith('+00')
  )
    return `${text.slice(0, 10)}T${text.slice(11, -3)}Z`;
  const match = POSTGRES_TIMESTAMPTZ.exec(text);
  if (!match) return text;
  const [, date, time, hours, minutes = '00'] = match;
  const offset = hours === '+00' && minutes === '00' ? 'Z' : `${hours}:${minutes}`;
  return `${date}T${time}${offset}`;
}
