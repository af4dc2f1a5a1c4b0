import { timestamptzToRfc3339 } from '../src/db/timestamps.ts';

// `npx tsx bench/timestamps.ts`: nanoseconds per timestamp for the rewrite Newsdesk uses and for the regular
// expression alone (what it did before UTC values were sliced), over 1,000 distinct values in Postgres' UTC
// form. Each article row carries three; a listing of twenty, sixty.
const POSTGRES_TIMESTAMPTZ =
  /^(\d{4,}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)([+-]\d\d)(?::(\d\d))?(?::\d\d)?$/;

function byRegularExpression(text: string): string {
  const match = POSTGRES_TIMESTAMPTZ.exec(text);
  if (!match) return text;
  const [, date, time, hours, minutes = '00'] = match;
  return `${date}T${time}${hours === '+00' && minutes === '00' ? 'Z' : `${hours}:${minutes}`}`;
}

const two = (n: number) => String(n).padStart(2, '0');
const values = Array.from(
  { length: 1000 },
  (_, i) => `2026-11-${two(1 + (i % 28))} ${two(i % 24)}:47:${two(i % 60)}.${String(i).padStart(6, '0')}+00`,
);
for (const value of values) {
  if (timestamptzToRfc3339(value) !== byRegularExpression(value)) throw new Error(`differs on ${value}`);
}
const rounds = 2000;
for (let pass = 1; pass <= 2; pass++) {
  for (const [name, rewrite] of [
    ['regular expression', byRegularExpression],
    ['newsdesk', timestamptzToRfc3339],
  ] as const) {
    let length = 0;
    const start = process.hrtime.bigint();
    for (let round = 0; round < rounds; round++) for (const value of values) length += rewrite(value).length;
    const nanoseconds = Number(process.hrtime.bigint() - start) / (rounds * values.length);
    console.log(
      `pass ${pass}: ${name.padEnd(18)} ${nanoseconds.toFixed(0).padStart(4)} ns a value (${length} chars)`,
    );
  }
}
