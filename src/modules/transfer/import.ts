import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/types.ts';
import { isDatabaseUnavailable, isPostgresError } from '../../http/postgres-errors.ts';
import { DEFAULT_HTML_POLICY, type HtmlPolicy } from '../articles/html.ts';
import { newArticleValues } from '../articles/service.ts';
import {
  type ArticleRecord,
  type ContentRecord,
  type Header,
  parseHeader,
  parseRecord,
  RECORD_TYPES,
  type RecordType,
} from './records.ts';
import {
  type ArticleWrite,
  idsBySlug,
  type Outcome,
  RecordProblem,
  upsertArticles,
  upsertCategory,
  upsertSource,
} from './repository.ts';

export interface TypeCounts {
  created: number;
  updated: number;
  failed: number;
}

export interface ImportSummary {
  counts: Record<RecordType, TypeCounts>;
  /** Lines that are no record at all (not JSON, no known `type`). */
  unreadable: number;
  /** Every problem reported: failed lines, plus a file that ends before its header says it should. */
  problems: number;
  lines: number;
}

export interface ImportOptions {
  /** The iframe hosts allowed in article bodies (IFRAME_ALLOWED_HOSTS), as for the API's writes. */
  html?: HtmlPolicy;
  /** Articles written per transaction. */
  batchSize?: number;
  /** A line that was not imported (`line` is 0 for the file as a whole); the import goes on. */
  onProblem?: (line: number, message: string) => void;
  /** After each write: how far the import has got. */
  onProgress?: (summary: ImportSummary) => void;
}

/** The file cannot be imported at all (not an export, or a newer format): nothing was written. */
export class ImportFileError extends Error {}

/** Lines of a stream, read as they are needed (readline pauses the stream while lines wait). */
export async function* readLines(input: Readable): AsyncGenerator<string> {
  const reader = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  // readline ends quietly when its input fails; a read error must not look like the end of the file.
  let failure: Error | undefined;
  input.once('error', (error) => {
    failure = error;
    reader.close();
  });
  yield* reader;
  if (failure) throw failure;
}

/** An article read and derived, waiting for its batch to be written. */
interface Pending {
  line: number;
  source_slug: string | null;
  category_slug: string | null;
  write: ArticleWrite;
}

/** A database error about this record's data (reported, and the import goes on) rather than an outage. */
function isDataError(error: unknown): error is Error {
  return isPostgresError(error) && !isDatabaseUnavailable(error) && /^(22|23|54)/.test(error.code);
}

/**
 * Imports a Newsdesk export line by line: each record is upserted by slug, so running it again changes
 * nothing. A line that is not valid (JSON, schema, NUL, unknown slug, cycle, refused by the database) is
 * reported with its number and skipped; every other line is imported.
 */
export async function importLines(
  db: Kysely<Database>,
  lines: AsyncIterable<string>,
  options: ImportOptions = {},
): Promise<ImportSummary> {
  const html = options.html ?? DEFAULT_HTML_POLICY;
  const batchSize = options.batchSize ?? 500;
  const summary: ImportSummary = {
    counts: Object.fromEntries(
      RECORD_TYPES.map((type) => [type, { created: 0, updated: 0, failed: 0 }]),
    ) as Record<RecordType, TypeCounts>,
    unreadable: 0,
    problems: 0,
    lines: 0,
  };
  const problem = (line: number, message: string) => {
    summary.problems++;
    options.onProblem?.(line, message);
  };
  const fail = (type: RecordType | undefined, line: number, message: string) => {
    if (type) summary.counts[type].failed++;
    else summary.unreadable++;
    problem(line, message);
  };
  const done = (type: RecordType, outcome: Outcome) => summary.counts[type][outcome]++;

  /** Writes one source or category in its own transaction. */
  async function writeOne(line: number, record: Exclude<ContentRecord, ArticleRecord>) {
    try {
      done(
        record.type,
        record.type === 'source' ? await upsertSource(db, record) : await upsertCategory(db, record),
      );
    } catch (error) {
      if (error instanceof RecordProblem) fail(record.type, line, error.message);
      else if (isDataError(error)) fail(record.type, line, `refused by the database: ${error.message}`);
      else throw error;
    }
    options.onProgress?.(summary);
  }

  /** Writes articles in one transaction; if the database refuses one, each is retried on its own. */
  async function writeArticles(batch: Pending[]) {
    try {
      const results = await db.transaction().execute(async (trx) => {
        const refs = (key: 'source_slug' | 'category_slug') =>
          batch.flatMap((pending) => (pending[key] === null ? [] : [pending[key]]));
        const sources = await idsBySlug(trx, 'sources', refs('source_slug'));
        const categories = await idsBySlug(trx, 'categories', refs('category_slug'));
        const rejected: [Pending, string][] = [];
        const writes: ArticleWrite[] = [];
        for (const pending of batch) {
          const { source_slug, category_slug } = pending;
          const source_id = source_slug === null ? null : sources.get(source_slug);
          const category_id = category_slug === null ? null : categories.get(category_slug);
          if (source_id === undefined) rejected.push([pending, `unknown source '${source_slug}'`]);
          else if (category_id === undefined) rejected.push([pending, `unknown category '${category_slug}'`]);
          else writes.push({ ...pending.write, values: { ...pending.write.values, source_id, category_id } });
        }
        return { rejected, outcomes: await upsertArticles(trx, writes) };
      });
      for (const [pending, message] of results.rejected) fail('article', pending.line, message);
      for (const outcome of results.outcomes.values()) done('article', outcome);
    } catch (error) {
      if (!isDataError(error)) throw error;
      if (batch.length === 1)
        fail('article', (batch[0] as Pending).line, `refused by the database: ${error.message}`);
      else for (const pending of batch) await writeArticles([pending]);
      return;
    }
    options.onProgress?.(summary);
  }

  // While one batch is written, the next is read and derived (sanitising and tokenising take longer than
  // writing): at most one batch in flight, so batches land in file order and memory stays bounded.
  let batch: Pending[] = [];
  const slugsInBatch = new Set<string>();
  let writing: Promise<void> = Promise.resolve();
  const flush = async () => {
    if (batch.length === 0) return;
    const next = batch;
    batch = [];
    slugsInBatch.clear();
    await writing;
    writing = writeArticles(next);
    // Awaited before the next batch and at the end; until then its failure is not "unhandled".
    writing.catch(() => {});
  };
  const drain = async () => {
    await flush();
    await writing;
  };

  let header: Header | undefined;
  for await (const text of lines) {
    const line = ++summary.lines;
    if (line === 1) {
      const parsed = parseHeader(text.replace(/^\uFEFF/, '')); // a byte-order mark from an editor
      if (!parsed.ok) throw new ImportFileError(`line 1: ${parsed.message}`);
      header = parsed.header;
      continue;
    }
    if (text.trim() === '') continue;
    const parsed = parseRecord(text);
    if (!parsed.ok) {
      fail(parsed.type, line, parsed.message);
      continue;
    }
    const { record } = parsed;
    if (record.type !== 'article') {
      await drain();
      await writeOne(line, record);
      continue;
    }
    // One statement cannot write a slug twice: a repeated slug starts a new batch, and the later line wins.
    if (slugsInBatch.has(record.slug)) await flush();
    const { type: _type, source_slug, category_slug, ...fields } = record;
    const { slug, created_at, updated_at, revision, deleted_at, ...input } = fields;
    batch.push({
      line,
      source_slug: source_slug ?? null,
      category_slug: category_slug ?? null,
      write: {
        slug,
        // Sanitised and derived exactly as `POST /v1/articles` does; the ids are filled in when written.
        values: newArticleValues({ ...input, slug }, html),
        ...(created_at !== undefined ? { created_at } : {}),
        ...(updated_at !== undefined ? { updated_at } : {}),
        ...(revision !== undefined ? { revision } : {}),
        deleted_at: deleted_at ?? null,
      },
    });
    slugsInBatch.add(slug);
    if (batch.length >= batchSize) await flush();
  }
  await drain();

  if (!header) throw new ImportFileError('the file is empty: no header, no records');
  if (header.counts) {
    const expected = RECORD_TYPES.reduce((sum, type) => sum + (header.counts?.[type] ?? 0), 0);
    const read = RECORD_TYPES.reduce(
      (sum, type) => sum + Object.values(summary.counts[type]).reduce((a, b) => a + b, 0),
      summary.unreadable,
    );
    if (read < expected) {
      problem(0, `the file ends early: its header announces ${expected} records, it holds ${read}`);
    }
  }
  return summary;
}
