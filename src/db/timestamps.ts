const POSTGRES_TIMESTAMPTZ =
  /^(\d{4,}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)([+-]\d\d)(?::(\d\d))?(?::\d\d)?$/;

/**
 * Turns Postgres' text form of a timestamptz into RFC 3339, keeping every digit: a JS `Date` would drop
 * the microseconds that `now()` writes, and keyset cursors built from such a value skip rows.
 */
export function timestamptzToRfc3339(text: string): string {
  const match = POSTGRES_TIMESTAMPTZ.exec(text);
  if (!match) return text;
  const [, date, time, hours, minutes = '00'] = match;
  const offset = hours === '+00' && minutes === '00' ? 'Z' : `${hours}:${minutes}`;
  return `${date}T${time}${offset}`;
}
