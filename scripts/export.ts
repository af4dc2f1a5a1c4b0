import { createWriteStream, rmSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { ConfigError, loadConfig } from '../src/config.ts';
import { DataDirLockedError } from '../src/db/data-dir-lock.ts';
import { openDatabase } from '../src/db/database.ts';
import { engineFor } from '../src/db/engine.ts';
import { createMigrator } from '../src/db/migrator.ts';
import { type ExportCounts, exportRecords, writeNdjson } from '../src/modules/transfer/export.ts';

const USAGE = `usage: npm run export -- [--out FILE]
  Writes every source, category and article as NDJSON (to standard output without --out).
  Not exported: ids, search indexes (rebuilt on import), article revisions, the audit log, API keys.`;

let args: ReturnType<typeof parseArgs<{ options: { out: { type: 'string'; short: 'o' } } }>>;
try {
  args = parseArgs({ options: { out: { type: 'string', short: 'o' } } });
} catch (error) {
  console.error(`${(error as Error).message}\n${USAGE}`);
  process.exit(2);
}
const outPath = args.values.out;

class ExportError extends Error {}

async function main() {
  const started = performance.now();
  const database = await openDatabase(engineFor(loadConfig()));
  const output: Writable = outPath ? createWriteStream(outPath) : process.stdout;
  const written: ExportCounts = { source: 0, category: 0, article: 0 };
  const bar = process.stderr.isTTY
    ? new cliProgress.SingleBar(
        {
          stream: process.stderr,
          format: 'export [{bar}] {percentage}% | {value}/{total} records | {eta_formatted} left',
          etaBuffer: 2000,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  try {
    // Reading must not change the database it reads, so the export does not migrate; it only checks.
    const pending = (await createMigrator(database.db).getMigrations()).filter((m) => !m.executedAt);
    if (pending.length > 0) {
      throw new ExportError(
        `The database lacks ${pending.length} migration(s) of this Newsdesk version (${pending.map((m) => m.name).join(', ')}); run npm run db:migrate first.`,
      );
    }
    await writeNdjson(exportRecords(database.db), output, (record) => {
      if (record.type === 'newsdesk-export') {
        const { source, category, article } = record.counts as ExportCounts;
        bar?.start(source + category + article, 0);
      } else {
        written[record.type]++;
        bar?.increment();
      }
    });
    if (outPath) {
      output.end();
      await finished(output);
    }
  } catch (error) {
    if (outPath) {
      output.destroy();
      rmSync(outPath, { force: true });
    }
    throw error;
  } finally {
    bar?.stop();
    await database.close();
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.error(
    `exported ${written.source} sources, ${written.category} categories, ${written.article} articles in ${seconds} s${outPath ? ` to ${outPath}` : ''}`,
  );
}

main().catch((error: unknown) => {
  const known =
    error instanceof ConfigError ||
    error instanceof DataDirLockedError ||
    error instanceof ExportError ||
    (error as NodeJS.ErrnoException).code === 'EPIPE';
  console.error(known ? (error as Error).message : error);
  process.exit(1);
});
