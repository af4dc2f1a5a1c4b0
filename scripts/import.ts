import { createReadStream, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { ConfigError, loadConfig } from '../src/config.ts';
import { DataDirLockedError } from '../src/db/data-dir-lock.ts';
import { openDatabase } from '../src/db/database.ts';
import { engineFor } from '../src/db/engine.ts';
import { migrateToLatest } from '../src/db/migrator.ts';
import {
  ImportFileError,
  type ImportSummary,
  importLines,
  readLines,
} from '../src/modules/transfer/import.ts';
import { RECORD_TYPES } from '../src/modules/transfer/records.ts';

const USAGE = `usage: npm run import -- FILE   (FILE from npm run export; - reads standard input)
  Upserts by slug: running it again changes nothing. Bad lines are reported and skipped.`;

let path: string | undefined;
try {
  path = parseArgs({ allowPositionals: true, options: {} }).positionals[0];
} catch (error) {
  console.error(`${(error as Error).message}\n${USAGE}`);
  process.exit(2);
}
if (!path) {
  console.error(`import needs a file\n${USAGE}`);
  process.exit(2);
}
const file = path;

function report(summary: ImportSummary, seconds: string): string {
  const rows = RECORD_TYPES.map((type) => {
    const { created, updated, failed } = summary.counts[type];
    return `  ${type.padEnd(9)} ${created} created, ${updated} updated, ${failed} failed`;
  });
  if (summary.unreadable > 0) rows.push(`  ${summary.unreadable} unreadable line(s)`);
  const verdict = summary.problems > 0 ? `, ${summary.problems} problem(s) reported above` : '';
  return `imported ${summary.lines} lines in ${seconds} s${verdict}\n${rows.join('\n')}`;
}

async function main() {
  const started = performance.now();
  const fromStdin = file === '-';
  // Before opening the database: a missing file is a plain message, not a stack trace.
  const size = fromStdin ? 0 : statSync(file).size;
  const config = loadConfig();
  const database = await openDatabase(engineFor(config));
  const input = fromStdin ? process.stdin : createReadStream(file);
  const bars =
    process.stderr.isTTY && !fromStdin
      ? new cliProgress.MultiBar(
          {
            stream: process.stderr,
            format: 'import [{bar}] {percentage}% | {value}/{total} MB | {eta_formatted} left',
            formatValue: (value, _options, type) =>
              type === 'value' || type === 'total' ? (value / 1e6).toFixed(1) : String(value),
            etaBuffer: 50,
          },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
  const bar = bars?.create(size, 0);
  const say = (message: string) => (bars ? bars.log(`${message}\n`) : process.stderr.write(`${message}\n`));
  let summary: ImportSummary;
  try {
    await migrateToLatest(database.db);
    summary = await importLines(database.db, readLines(input), {
      html: { iframeHosts: config.iframeHosts },
      onProblem: (line, message) => say(line > 0 ? `line ${line}: ${message}` : message),
      onProgress: () => bar?.update((input as { bytesRead?: number }).bytesRead ?? 0),
    });
    bar?.update(size);
  } finally {
    bars?.update(); // writes problems logged since the last redraw; stop() would drop them
    bars?.stop();
    if (!fromStdin) input.destroy();
    await database.close();
  }
  console.error(report(summary, ((performance.now() - started) / 1000).toFixed(1)));
  if (summary.problems > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  const known =
    error instanceof ConfigError ||
    error instanceof DataDirLockedError ||
    error instanceof ImportFileError ||
    (error as NodeJS.ErrnoException).code === 'ENOENT';
  console.error(known ? (error as Error).message : error);
  process.exit(1);
});
