import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { startArguments } from '../scripts/start-arguments.ts';
import { freshServerDatabase, serverUrl } from './helpers.ts';
import { freePort } from './postgres-cluster.ts';

// `npm start` as a real process: signals, kill -9 and what the operator sees on the terminal. It runs the
// built JavaScript, as `npm start` does, so the build itself is under test too.
const root = new URL('..', import.meta.url).pathname;
execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });
const tsx = join(root, 'node_modules', '.bin', 'tsx');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Api {
  process: ChildProcess;
  base: string;
  output(): string;
  exited: Promise<number | null>;
}

async function startApi(env: Record<string, string>): Promise<Api> {
  const port = await freePort();
  // node itself, as `npm start` runs it: a wrapper process would leave the server running after kill -9.
  const child = spawn(process.execPath, startArguments(), {
    cwd: root,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', SEED_DEMO_CONTENT: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const ready = await fetch(`${base}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    assert.ok(i < 150 && child.exitCode === null, `the API did not start:\n${output}`);
    await sleep(200);
  }
  return { process: child, base, output: () => output, exited };
}

function createKey(env: Record<string, string>): string {
  const out = execFileSync(tsx, ['scripts/key.ts', 'create', '--name', 'ops', '--scope', 'admin'], {
    cwd: root,
    env: { ...process.env, ...env },
  }).toString();
  return (out.match(/secret \(shown once, keep it safe\): (\S+)/) as RegExpMatchArray)[1] as string;
}

const article = (slug: string) => ({
  slug,
  title: `進程測試 ${slug}`,
  body_html: '<p>正文</p>',
  status: 'published',
  published_at: '2026-11-27T09:00:00+08:00',
});

test('the Docker image starts the API with the node flags of npm start (the memory and GC tuning)', () => {
  const dockerfile = readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8');
  const command = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1];
  assert.ok(command, 'the Dockerfile has an exec-form CMD');
  assert.deepEqual(JSON.parse(command), ['node', ...startArguments()]);
});

describe('the embedded engine as a process', {
  skip: serverUrl ? 'runs in the embedded-engine run' : false,
}, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'newsdesk-process-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  test('survives kill -9: the data folder opens again with every acknowledged write; SIGTERM exits cleanly', async () => {
    const env = { NEWSDESK_DATA_DIR: dataDir, LOG_FORMAT: 'pretty' };
    const secret = createKey(env);
    const first = await startApi(env);
    const headers = { authorization: `Bearer ${secret}`, 'content-type': 'application/json' };
    const writes = await Promise.all(
      ['crash-1', 'crash-2', 'crash-3'].map((slug) =>
        fetch(`${first.base}/v1/articles`, { method: 'POST', headers, body: JSON.stringify(article(slug)) }),
      ),
    );
    assert.deepEqual(
      writes.map((w) => w.status),
      [201, 201, 201],
    );
    first.process.kill('SIGKILL');
    await first.exited;
    assert.match(first.output(), /Newsdesk is up/);
    assert.doesNotMatch(first.output(), /^\{"level"/m, 'LOG_FORMAT=pretty prints readable lines, not JSON');

    const second = await startApi({ NEWSDESK_DATA_DIR: dataDir });
    for (const slug of ['crash-1', 'crash-2', 'crash-3']) {
      const read = await fetch(`${second.base}/v1/articles/${slug}`);
      assert.equal(read.status, 200, `${slug} survived kill -9`);
      assert.equal(((await read.json()) as { data: { title: string } }).data.title, `進程測試 ${slug}`);
    }
    assert.match(second.output(), /^\{"level"/m, 'without a terminal, logs are JSON lines');
    second.process.kill('SIGTERM');
    assert.equal(await second.exited, 0, 'SIGTERM exits with 0');
    assert.match(second.output(), /shut down cleanly/);
  });
});

describe('graceful shutdown on the server engine', {
  skip: serverUrl ? false : 'needs TEST_DATABASE_URL',
}, () => {
  test('SIGTERM stops accepting, finishes the request in flight, then exits 0', async () => {
    const database = await freshServerDatabase();
    const locker = new pg.Client({ connectionString: database.url });
    try {
      const api = await startApi({ DATABASE_URL: database.url });
      await locker.connect();
      // A table lock holds the next read in flight for as long as the test wants.
      await locker.query('begin; lock table articles in access exclusive mode');
      const inFlight = fetch(`${api.base}/v1/articles`);
      await sleep(300);
      api.process.kill('SIGTERM');
      await sleep(500);
      await assert.rejects(fetch(`${api.base}/health/live`), 'a closing server accepts no new connections');
      assert.equal(api.process.exitCode, null, 'still running while a request is in flight');
      await locker.query('commit');
      assert.equal((await inFlight).status, 200, 'the request in flight was answered');
      assert.equal(await api.exited, 0, api.output());
    } finally {
      await locker.end().catch(() => {});
      await database.drop();
    }
  });

  test('a request that never finishes does not hold the shutdown past SHUTDOWN_TIMEOUT_MS', async () => {
    const database = await freshServerDatabase();
    const locker = new pg.Client({ connectionString: database.url });
    try {
      const api = await startApi({ DATABASE_URL: database.url, SHUTDOWN_TIMEOUT_MS: '1000' });
      await locker.connect();
      await locker.query('begin; lock table articles in access exclusive mode');
      const inFlight = fetch(`${api.base}/v1/articles`).catch((error: unknown) => error);
      await sleep(300);
      const stoppedAt = performance.now();
      api.process.kill('SIGTERM');
      assert.equal(await api.exited, 1, 'a forced exit says so in its code');
      assert.ok(performance.now() - stoppedAt < 5000, 'exited soon after the timeout');
      assert.match(api.output(), /still in flight after SHUTDOWN_TIMEOUT_MS/);
      await inFlight;
    } finally {
      await locker.query('rollback').catch(() => {});
      await locker.end().catch(() => {});
      await database.drop();
    }
  });
});
