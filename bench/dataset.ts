import { type Kysely, sql } from 'kysely';
import * as OpenCC from 'opencc-js/cn2t';
import type { Database } from '../src/db/types.ts';
import { summarise } from '../src/modules/articles/html.ts';
import { searchColumns } from '../src/modules/search/reindex.ts';

/** Deterministic pseudo-random numbers (mulberry32), so every run builds the same data set. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const COMMON_CHARS =
  '的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严';
const TOPIC_ZH = [
  '芯片',
  '人工智能',
  '超级计算机',
  '数据中心',
  '新能源汽车',
  '大模型',
  '量子计算',
  '自动驾驶',
];
const TOPIC_EN = ['chip', 'supercomputer', 'quantum', 'battery', 'vehicle', 'inference'];

/** A vocabulary in rank order: generated two- and three-character words, with the topic words placed at given ranks. */
function vocabulary(next: () => number): string[] {
  const chars = [...COMMON_CHARS];
  const words = new Set<string>();
  while (words.size < 1200) {
    const length = next() < 0.7 ? 2 : 3;
    let word = '';
    for (let i = 0; i < length; i++) word += chars[Math.floor(next() * chars.length)];
    words.add(word);
  }
  const ranked = [...words];
  for (const [i, word] of TOPIC_ZH.entries()) ranked.splice(150 + i * 120, 0, word);
  return ranked;
}

const EN_FILLER = [
  'the',
  'a',
  'of',
  'and',
  'with',
  'for',
  'new',
  'its',
  'in',
  'to',
  'on',
  'said',
  'company',
  'year',
  'industry',
  'data',
  'center',
  'model',
  'training',
  'cloud',
  'network',
  'software',
  'platform',
  'market',
  'growth',
  'engineers',
  'launch',
  'security',
  'open',
  'source',
  'standard',
  'design',
  'capacity',
  'supply',
  'research',
  'investment',
  'processor',
  'memory',
  'customers',
  'revenue',
  'quarter',
  'analysts',
  'plans',
  'production',
  'global',
  'demand',
];
const ZH_GLUE = ['，', '，', '。', '；', '、', '的', '的', '在', '和'];
const toTraditional = OpenCC.Converter({ from: 'cn', to: 'tw' });

/** Zipf-like: low ranks are drawn far more often than high ones. */
const zipf = (next: () => number, size: number) => Math.floor(next() ** 2.5 * size);

function chineseText(next: () => number, words: string[], chars: number): string {
  let text = '';
  while (text.length < chars) {
    text += words[zipf(next, words.length)];
    if (next() < 0.6) text += ZH_GLUE[Math.floor(next() * ZH_GLUE.length)];
  }
  return text;
}

const SYLLABLES = [
  'ka',
  'ro',
  'mi',
  'ten',
  'sa',
  'lo',
  'ver',
  'an',
  'ti',
  'mo',
  'del',
  'ra',
  'pe',
  'nu',
  'cor',
  'vi',
];

function englishVocabulary(next: () => number): string[] {
  const words = new Set<string>();
  while (words.size < 800) {
    const parts = 2 + Math.floor(next() * 2);
    let word = '';
    for (let i = 0; i < parts; i++) word += SYLLABLES[Math.floor(next() * SYLLABLES.length)];
    words.add(word);
  }
  const ranked = [...EN_FILLER, ...words];
  for (const [i, word] of TOPIC_EN.entries()) ranked.splice(150 + i * 100, 0, word);
  return ranked;
}

function englishText(next: () => number, words: string[], chars: number): string {
  const out: string[] = [];
  let length = 0;
  while (length < chars) {
    const word = words[zipf(next, words.length)] as string;
    out.push(word);
    length += word.length + 1;
  }
  return `${out.join(' ')}.`;
}

/** Set once a fill has finished (indexes included), so an interrupted fill is not mistaken for a done one. */
export const completeMark = (articles: number) => `newsdesk bench data set: ${articles} articles, complete`;

export interface DatasetShape {
  articles: number;
  sources: number;
}

/**
 * Above this many articles the rest are copies of generated ones under new slugs and shifted dates:
 * generating and tokenising a million articles in JavaScript would take hours, while copies give the
 * table, its indexes and the search postings their real size.
 */
export const GENERATED_ARTICLES_MAX = 100_000;

/** ~40 categories in three levels, ~50 sources, and articles with 2–5 KB bodies, 90% published. */
export async function fillDataset(db: Kysely<Database>, shape: DatasetShape, log: (line: string) => void) {
  const next = random(20261127);
  const words = vocabulary(next);
  const englishWords = englishVocabulary(next);
  const sources = [];
  for (let i = 0; i < shape.sources; i++) {
    sources.push({
      slug: `bench-source-${i}`,
      name: `来源 ${i}`,
      homepage_url: `https://source${i}.example.com/`,
    });
  }
  const sourceIds = (await db.insertInto('sources').values(sources).returning('id').execute()).map(
    (r) => r.id,
  );
  const categoryIds: number[] = [];
  const addCategory = async (slug: string, name: string, parentId: number | null, position: number) => {
    const { id } = await db
      .insertInto('categories')
      .values({ slug, name, parent_id: parentId, position })
      .returning('id')
      .executeTakeFirstOrThrow();
    categoryIds.push(id);
    return id;
  };
  for (let root = 0; root < 4; root++) {
    const rootId = await addCategory(`bench-root-${root}`, `频道 ${root}`, null, root);
    for (let child = 0; child < 3; child++) {
      const childId = await addCategory(`bench-${root}-${child}`, `栏目 ${root}-${child}`, rootId, child);
      for (let leaf = 0; leaf < 2; leaf++) {
        await addCategory(`bench-${root}-${child}-${leaf}`, `子栏目 ${root}-${child}-${leaf}`, childId, leaf);
      }
    }
  }

  // A GIN index built once over all rows is far faster than one updated row by row during the load.
  const { rows: searchIndexes } = await sql<{ indexdef: string }>`
    select indexdef from pg_indexes where tablename = 'articles' and indexdef ilike '%using gin (search_%'
  `.execute(db);
  for (const { indexdef } of searchIndexes) {
    await sql`drop index ${sql.id((indexdef.match(/INDEX (\S+) ON/) as RegExpMatchArray)[1] as string)}`.execute(
      db,
    );
  }

  const start = Date.UTC(2019, 0, 1) / 1000;
  const span = Date.UTC(2026, 9, 1) / 1000 - start;
  const batch = 500;
  let pending: Promise<unknown> = Promise.resolve();
  const generated = Math.min(shape.articles, GENERATED_ARTICLES_MAX);
  for (let offset = 0; offset < generated; offset += batch) {
    const rows = [];
    for (let i = offset; i < Math.min(offset + batch, generated); i++) {
      const kind = next();
      const lang = kind < 0.5 ? 'zh-Hans' : kind < 0.75 ? 'zh-Hant' : 'en';
      const bodyChars = 2000 + Math.floor(next() * 3000);
      const paragraphs: string[] = [];
      let title: string;
      if (lang === 'en') {
        title = englishText(next, englishWords, 60).replace(/\.$/, '');
        for (let used = 0; used < bodyChars; used += 500)
          paragraphs.push(englishText(next, englishWords, 500));
      } else {
        const convert = lang === 'zh-Hant' ? toTraditional : (text: string) => text;
        title = convert(chineseText(next, words, 20));
        // CJK characters take 3 bytes: a third as many characters make the same 2–5 KB.
        for (let used = 0; used < bodyChars / 3; used += 200)
          paragraphs.push(convert(chineseText(next, words, 200)));
      }
      const body_html = paragraphs.map((p) => `<p>${p}</p>`).join('');
      // What htmlToPlainText gives for plain paragraphs, without its cost at this volume.
      const body_text = paragraphs.join('\n\n');
      const summary = summarise(body_text);
      const published = next() < 0.9;
      rows.push({
        slug: `bench-${i}`,
        title,
        summary,
        body_html,
        body_text,
        lang,
        tags: [TOPIC_ZH[i % TOPIC_ZH.length] as string],
        status: published ? ('published' as const) : ('draft' as const),
        published_at: published ? new Date((start + Math.floor(next() * span)) * 1000).toISOString() : null,
        source_id: sourceIds[i % sourceIds.length] as number,
        category_id: categoryIds[Math.floor(next() * categoryIds.length)] as number,
        ...searchColumns({ title, summary, body_text }),
      });
    }
    // The next batch is generated while this one is written.
    await pending;
    pending = db.insertInto('articles').values(rows).execute();
    if ((offset / batch) % 20 === 19) log(`generated ${offset + batch} / ${generated} articles`);
  }
  await pending;
  await copyArticles(db, generated, shape.articles, log);
  log('building the search indexes');
  // The GIN builds sort their postings in this memory: with 256 MB they took over 20 of the 45 minutes a
  // million articles took to fill.
  await sql`set maintenance_work_mem = '1GB'`.execute(db);
  for (const { indexdef } of searchIndexes) await sql.raw(indexdef).execute(db);
  await sql`vacuum analyze`.execute(db);
  await sql.raw(`comment on table articles is '${completeMark(shape.articles)}'`).execute(db);
}

/** Fills up to `total` with copies of the first `generated` articles, each copy an hour-multiple earlier. */
async function copyArticles(
  db: Kysely<Database>,
  generated: number,
  total: number,
  log: (line: string) => void,
) {
  for (let copy = 1; generated * copy < total; copy++) {
    const rows = Math.min(generated, total - generated * copy);
    await sql`
      insert into articles (slug, title, summary, body_html, body_text, lang, tags, status, published_at,
        source_id, category_id, search_vector, search_title, search_version)
      select slug || '-copy-' || ${copy}, title, summary, body_html, body_text, lang, tags, status,
        published_at - make_interval(hours => ${copy} * 7), source_id, category_id,
        search_vector, search_title, search_version
      from articles where id <= ${rows} order by id
    `.execute(db);
    log(`copied ${generated * copy + rows} / ${total} articles`);
  }
}
