import Fastify from 'fastify';
import pg from 'pg';

// The physical limit the benchmark compares Newsdesk with: a bare Fastify route calling pg directly, with
// no validation, no Kysely, no access checks, no ETags, and the same rows and JSON shape as Newsdesk's
// `?include=source,category` listing and its article by slug.
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });

const ARTICLE = `a.id, a.slug, a.title, a.summary, a.body_html, a.body_text, a.cover_image, a.author, a.lang,
  a.tags, a.status, a.published_at, a.source_id, a.source_url, a.category_id, a.created_at, a.updated_at,
  a.revision`;
const SOURCE = `case when s.id is null then null else json_build_object('id', s.id, 'slug', s.slug,
  'name', s.name, 'homepage_url', s.homepage_url, 'description', s.description,
  'created_at', s.created_at, 'updated_at', s.updated_at, 'revision', s.revision) end as source`;
const CATEGORY = `case when c.id is null then null else json_build_object('id', c.id, 'slug', c.slug,
  'name', c.name, 'description', c.description, 'parent_id', c.parent_id, 'position', c.position,
  'created_at', c.created_at, 'updated_at', c.updated_at, 'revision', c.revision) end as category`;

const app = Fastify();

app.get('/latest', async () => {
  const { rows } = await pool.query({
    name: 'latest',
    text: `select ${ARTICLE}, ${SOURCE}, ${CATEGORY}
      from articles a left join sources s on s.id = a.source_id left join categories c on c.id = a.category_id
      where a.status = 'published' and a.published_at <= now() and a.deleted_at is null
      order by a.published_at desc, a.id desc limit 20`,
  });
  return { data: rows };
});

app.get<{ Params: { slug: string } }>('/articles/:slug', async (request, reply) => {
  const { rows } = await pool.query({
    name: 'by-slug',
    text: `select ${ARTICLE} from articles a
      where a.slug = $1 and a.status = 'published' and a.published_at <= now() and a.deleted_at is null`,
    values: [request.params.slug],
  });
  if (rows.length === 0) return reply.code(404).send({ error: 'not found' });
  return { data: rows[0] };
});

// A clean exit on SIGINT, so `--cpu-prof` writes its profile (npm run bench:profile).
process.once('SIGINT', () => void app.close().then(() => pool.end()));
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 3998) });
