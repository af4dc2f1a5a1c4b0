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

const RFC3339_PARTS =
  /^(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.\d+)?(?:[Zz]|([+-])(\d\d):?(\d\d)?)$/;
const EARLIEST = new Date(0).setUTCFullYear(1, 0, 1);
const END = Date.UTC(10000, 0, 1);

/** What a client is told when a date-time fails `isStorableInstant`. */
export const STORABLE_INSTANT =
  'must be an RFC 3339 date-time (e.g. 2023-04-05T09:09:19+08:00) from the year 0001 to 9999 in UTC, with an offset of at most ±15:59';

/**
 * Whether Postgres stores this RFC 3339 date-time as the instant it names and serves it back in RFC 3339:
 * a real calendar date, an offset within ±15:59 (RFC 3339 allows ±23:59, Postgres refuses more than
 * ±15:59), and an instant from the year 1 to 9999 in UTC (outside, it comes back as `… BC` or with a
 * five-digit year, which feeds and cursors cannot read).
 */
export function isStorableInstant(text: string): boolean {
  const parts = RFC3339_PARTS.exec(text);
  if (!parts) return false;
  const [year, month, day, hours, minutes, seconds] = parts.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const [sign, offsetHours = '0', offsetMinutes = '0'] = parts.slice(7);
  if (Number(offsetHours) > 15 || Number(offsetMinutes) > 59) return false;
  if (hours > 23 || minutes > 59 || seconds > 60) return false;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return false;
  const offset = (sign === '-' ? -1 : 1) * (Number(offsetHours) * 60 + Number(offsetMinutes));
  const instant = date.getTime() + ((hours * 60 + minutes - offset) * 60 + seconds) * 1000;
  return instant >= EARLIEST && instant < END;
}
