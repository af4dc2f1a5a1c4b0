import { benchDatabaseUrl, ensureBenchDatabase } from './database.ts';

// `npm run bench:fill -- 10000 100000 1000000`: builds the benchmark databases ahead of a run.
const baseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/newsdesk_bench';
const sizes = process.argv.slice(2).map(Number);
if (sizes.length === 0 || sizes.some((size) => !Number.isInteger(size) || size < 1000)) {
  console.error('usage: npm run bench:fill -- <articles> [<articles> ...]   (each at least 1000)');
  process.exit(2);
}
for (const size of sizes) {
  const started = Date.now();
  await ensureBenchDatabase(benchDatabaseUrl(baseUrl, size), size, (line) => console.error(line));
  console.error(`${size} articles ready in ${Math.round((Date.now() - started) / 1000)} s`);
}
