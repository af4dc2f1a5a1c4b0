import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { makeArticle, makeCategory } from './factories.ts';
import { PROBLEM_JSON, startTestApp, type TestContext, unique } from './helpers.ts';

let ctx: TestContext;
before(async () => {
  ctx = await startTestApp();
});
after(() => ctx.close());

interface TreeNode {
  id: number;
  slug: string;
  name: string;
  parent_id: number | null;
  position: number;
  article_count: number;
  children: TreeNode[];
}

async function tree(): Promise<TreeNode[]> {
  const response = await ctx.request({ method: 'GET', url: '/v1/categories/tree' });
  assert.equal(response.statusCode, 200, response.body);
  return response.json().data;
}

function findNode(nodes: TreeNode[], id: number): TreeNode | undefined {
  for (const node of nodes) {
    if (node.id === id) return node;
    const found = findNode(node.children, id);
    if (found) return found;
  }
  return undefined;
}

async function breadcrumbs(idOrSlug: string | number): Promise<string[]> {
  const response = await ctx.request({
    method: 'GET',
    url: `/v1/categories/${encodeURIComponent(String(idOrSlug))}/breadcrumbs`,
  });
  assert.equal(response.statusCode, 200, response.body);
  return response.json().data.map((crumb: { slug: string }) => crumb.slug);
}

const move = (idOrSlug: string | number, payload: Record<string, unknown>) =>
  ctx.request({ method: 'PATCH', url: `/v1/categories/${idOrSlug}`, payload });

describe('category tree', () => {
  test('the tree nests children by position and counts only public articles filed directly in a node', async () => {
    const root = await makeCategory(ctx, { name: '首页', slug: unique('home') });
    // Created out of order: the tree must order siblings by position, not by id.
    const third = await makeCategory(ctx, { parent_id: root.id, position: 30, slug: unique('third') });
    const first = await makeCategory(ctx, { parent_id: root.id, position: 10, slug: unique('first') });
    const second = await makeCategory(ctx, { parent_id: root.id, position: 20, slug: unique('second') });
    const grandchild = await makeCategory(ctx, { parent_id: first.id, slug: unique('grandchild') });

    await makeArticle(ctx, { category_id: first.id });
    await makeArticle(ctx, { category_id: first.id });
    await makeArticle(ctx, { category_id: first.id, status: 'draft', published_at: null });
    await makeArticle(ctx, { category_id: first.id, status: 'archived' });
    await makeArticle(ctx, { category_id: first.id, published_at: '2999-01-01T00:00:00Z' });
    await makeArticle(ctx, { category_id: grandchild.id });

    const node = findNode(await tree(), root.id);
    assert.ok(node, 'the new root is in the tree');
    assert.equal(node.parent_id, null);
    assert.deepEqual(
      node.children.map((child) => child.id),
      [first.id, second.id, third.id],
    );
    const [firstNode, secondNode, thirdNode] = node.children;
    assert.deepEqual(
      firstNode?.children.map((child) => child.id),
      [grandchild.id],
    );
    assert.deepEqual(firstNode?.children[0]?.children, []);
    assert.equal(firstNode?.article_count, 2, 'drafts, archived and scheduled articles are not counted');
    assert.equal(firstNode?.children[0]?.article_count, 1);
    assert.equal(node.article_count, 0, "a child's articles are not counted in its parent");
    assert.equal(secondNode?.article_count, 0);
    assert.equal(thirdNode?.article_count, 0);
  });

  test('a root and its subtree appear once, nested, never also as roots', async () => {
    const root = await makeCategory(ctx);
    const child = await makeCategory(ctx, { parent_id: root.id });
    const roots = await tree();
    assert.ok(roots.some((node) => node.id === root.id));
    assert.ok(!roots.some((node) => node.id === child.id), 'a child is not listed among the roots');
    for (const node of roots) assert.equal(node.parent_id, null);
  });

  test('breadcrumbs run from the root to the node, by id or by slug; an unknown category is a 404 problem', async () => {
    const root = await makeCategory(ctx, { name: '首页', slug: unique('home') });
    const child = await makeCategory(ctx, { name: '新闻中心', slug: unique('news'), parent_id: root.id });
    const leaf = await makeCategory(ctx, { name: '新闻动态', slug: unique('updates'), parent_id: child.id });

    const response = await ctx.request({ method: 'GET', url: `/v1/categories/${leaf.id}/breadcrumbs` });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json().data, [
      { id: root.id, slug: root.slug, name: '首页' },
      { id: child.id, slug: child.slug, name: '新闻中心' },
      { id: leaf.id, slug: leaf.slug, name: '新闻动态' },
    ]);
    assert.deepEqual(await breadcrumbs(leaf.slug), [root.slug, child.slug, leaf.slug]);
    assert.deepEqual(await breadcrumbs(root.id), [root.slug]);

    for (const missing of [unique('nowhere'), '2147483000']) {
      const notFound = await ctx.request({ method: 'GET', url: `/v1/categories/${missing}/breadcrumbs` });
      assert.equal(notFound.statusCode, 404);
      assert.match(notFound.headers['content-type'] as string, PROBLEM_JSON);
      assert.equal(notFound.json().type, 'urn:newsdesk:problem:not-found');
      assert.match(notFound.json().detail, new RegExp(missing));
    }
  });

  test('a new category goes after its last sibling unless given a position', async () => {
    const root = await makeCategory(ctx);
    const a = await makeCategory(ctx, { parent_id: root.id });
    const b = await makeCategory(ctx, { parent_id: root.id });
    const c = await makeCategory(ctx, { parent_id: root.id, position: 7 });
    const d = await makeCategory(ctx, { parent_id: root.id });
    assert.deepEqual([a.position, b.position, c.position, d.position], [0, 1, 7, 8]);

    // Positions are per parent: the first child of another node starts again at 0.
    const other = await makeCategory(ctx, { parent_id: a.id });
    assert.equal(other.position, 0);

    const node = findNode(await tree(), root.id);
    assert.deepEqual(
      node?.children.map((child) => child.id),
      [a.id, b.id, c.id, d.id],
    );
  });

  test('?parent= lists only that node’s children, by position; an unknown parent is a 400 naming /parent', async () => {
    const root = await makeCategory(ctx, { slug: unique('parent') });
    const late = await makeCategory(ctx, { parent_id: root.id, position: 5 });
    const early = await makeCategory(ctx, { parent_id: root.id, position: 1 });
    await makeCategory(ctx, { parent_id: late.id }); // a grandchild: not a child of root
    await makeCategory(ctx); // another root

    for (const parent of [root.slug, String(root.id)]) {
      const response = await ctx.request({
        method: 'GET',
        url: `/v1/categories?parent=${encodeURIComponent(parent)}`,
      });
      assert.equal(response.statusCode, 200);
      assert.deepEqual(
        response.json().data.map((c: { id: number }) => c.id),
        [early.id, late.id],
      );
      for (const category of response.json().data) assert.equal(category.parent_id, root.id);
    }

    const unknown = await ctx.request({ method: 'GET', url: `/v1/categories?parent=${unique('ghost')}` });
    assert.equal(unknown.statusCode, 400);
    assert.match(unknown.headers['content-type'] as string, PROBLEM_JSON);
    assert.equal(unknown.json().errors[0].path, '/parent');
    assert.equal(unknown.json().errors[0].location, 'query');
  });
});

describe('moving categories', () => {
  test('moving a category under its own descendant or under itself is a 409 cycle; the tree is unchanged', async () => {
    const root = await makeCategory(ctx);
    const child = await makeCategory(ctx, { parent_id: root.id });
    const grandchild = await makeCategory(ctx, { parent_id: child.id });

    for (const target of [grandchild.id, child.id]) {
      const response = await move(root.id, { parent_id: target });
      assert.equal(response.statusCode, 409, response.body);
      assert.match(response.headers['content-type'] as string, PROBLEM_JSON);
      assert.equal(response.json().type, 'urn:newsdesk:problem:category-cycle');
      assert.equal(response.json().errors[0].path, '/parent_id');
    }

    const self = await move(child.slug, { parent_id: child.id });
    assert.equal(self.statusCode, 409, self.body);
    assert.equal(self.json().type, 'urn:newsdesk:problem:category-cycle');

    const unchanged = await ctx.request({ method: 'GET', url: `/v1/categories/${root.id}` });
    assert.equal(unchanged.json().data.parent_id, null);
    assert.equal(unchanged.json().data.revision, 1, 'a refused move changes nothing');
    assert.deepEqual(await breadcrumbs(grandchild.id), [root.slug, child.slug, grandchild.slug]);
  });

  test('a legal move re-parents the category and breadcrumbs of its subtree follow', async () => {
    const home = await makeCategory(ctx);
    const news = await makeCategory(ctx, { parent_id: home.id });
    const updates = await makeCategory(ctx, { parent_id: news.id });
    const leaf = await makeCategory(ctx, { parent_id: updates.id });
    const archive = await makeCategory(ctx);

    const moved = await move(updates.id, { parent_id: archive.id, position: 0 });
    assert.equal(moved.statusCode, 200, moved.body);
    assert.equal(moved.json().data.parent_id, archive.id);
    assert.equal(moved.json().data.revision, 2);
    assert.deepEqual(await breadcrumbs(updates.slug), [archive.slug, updates.slug]);
    assert.deepEqual(await breadcrumbs(leaf.id), [archive.slug, updates.slug, leaf.slug]);

    const tree1 = await tree();
    assert.deepEqual(findNode(tree1, news.id)?.children, []);
    assert.deepEqual(
      findNode(tree1, archive.id)?.children.map((c) => c.id),
      [updates.id],
    );

    // Moving under a former descendant is legal once it no longer is one; null makes a root.
    const backUp = await move(news.id, { parent_id: leaf.id });
    assert.equal(backUp.statusCode, 200, backUp.body);
    const toRoot = await move(updates.slug, { parent_id: null });
    assert.equal(toRoot.statusCode, 200, toRoot.body);
    assert.deepEqual(await breadcrumbs(news.id), [updates.slug, leaf.slug, news.slug]);
  });

  test('moving an unknown category is a 404; moving under an unknown parent is a 422 naming /parent_id', async () => {
    const category = await makeCategory(ctx);
    const missing = await move(unique('ghost'), { parent_id: category.id });
    assert.equal(missing.statusCode, 404);
    assert.match(missing.headers['content-type'] as string, PROBLEM_JSON);

    const orphan = await move(category.id, { parent_id: 2147483000 });
    assert.equal(orphan.statusCode, 422, orphan.body);
    assert.match(orphan.headers['content-type'] as string, PROBLEM_JSON);
    assert.equal(orphan.json().errors[0].path, '/parent_id');
  });
});

describe('deleting categories', () => {
  test('a category with children cannot be deleted, and the 409 says so', async () => {
    const parent = await makeCategory(ctx);
    const child = await makeCategory(ctx, { parent_id: parent.id });
    const response = await ctx.request({ method: 'DELETE', url: `/v1/categories/${parent.slug}` });
    assert.equal(response.statusCode, 409);
    assert.match(response.headers['content-type'] as string, PROBLEM_JSON);
    assert.equal(response.json().type, 'urn:newsdesk:problem:category-in-use');
    assert.match(response.json().detail, /1 child categor/);
    assert.equal(response.json().child_count, 1);
    assert.equal((await ctx.request({ method: 'GET', url: `/v1/categories/${parent.id}` })).statusCode, 200);
    assert.equal((await ctx.request({ method: 'GET', url: `/v1/categories/${child.id}` })).statusCode, 200);
  });

  test('a category with articles cannot be deleted, even unpublished ones, and the 409 says so', async () => {
    const category = await makeCategory(ctx);
    await makeArticle(ctx, { category_id: category.id });
    await makeArticle(ctx, { category_id: category.id, status: 'draft', published_at: null });
    const response = await ctx.request({ method: 'DELETE', url: `/v1/categories/${category.id}` });
    assert.equal(response.statusCode, 409);
    assert.match(response.headers['content-type'] as string, PROBLEM_JSON);
    assert.match(response.json().detail, /2 article/);
    assert.doesNotMatch(response.json().detail, /child/);
    assert.equal(response.json().article_count, 2);
    assert.equal(
      (await ctx.request({ method: 'GET', url: `/v1/categories/${category.id}` })).statusCode,
      200,
    );
  });

  test('an empty leaf is deleted with 204, then is a 404; a second delete is a 404', async () => {
    const parent = await makeCategory(ctx);
    const leaf = await makeCategory(ctx, { parent_id: parent.id });
    const deleted = await ctx.request({ method: 'DELETE', url: `/v1/categories/${leaf.slug}` });
    assert.equal(deleted.statusCode, 204);
    assert.equal(deleted.body, '');

    const gone = await ctx.request({ method: 'GET', url: `/v1/categories/${leaf.id}` });
    assert.equal(gone.statusCode, 404);
    assert.match(gone.headers['content-type'] as string, PROBLEM_JSON);
    const again = await ctx.request({ method: 'DELETE', url: `/v1/categories/${leaf.id}` });
    assert.equal(again.statusCode, 404);

    // With its only child gone, the parent is an empty leaf too.
    const parentDeleted = await ctx.request({ method: 'DELETE', url: `/v1/categories/${parent.id}` });
    assert.equal(parentDeleted.statusCode, 204);
  });
});

describe('creating categories', () => {
  test('a parent_id that does not exist is a 422 naming /parent_id, and nothing is created', async () => {
    const name = `Orphan ${unique()}`;
    const response = await ctx.request({
      method: 'POST',
      url: '/v1/categories',
      payload: { name, parent_id: 2147483000 },
    });
    assert.equal(response.statusCode, 422, response.body);
    assert.match(response.headers['content-type'] as string, PROBLEM_JSON);
    assert.equal(response.json().type, 'urn:newsdesk:problem:unknown-reference');
    assert.equal(response.json().errors[0].path, '/parent_id');
    const roots = await tree();
    assert.ok(!JSON.stringify(roots).includes(name));
  });

  test('a Chinese name gives the same Chinese slug, fetchable by its percent-encoded slug', async () => {
    const name = `新闻动态${unique()}`;
    const created = await makeCategory(ctx, { name });
    assert.equal(created.slug, name.toLowerCase());
    assert.match(created.slug, /^新闻动态/);

    const fetched = await ctx.request({
      method: 'GET',
      url: `/v1/categories/${encodeURIComponent(created.slug)}`,
    });
    assert.equal(fetched.statusCode, 200);
    assert.deepEqual(fetched.json().data, created);

    const child = await makeCategory(ctx, { parent_id: created.id });
    assert.deepEqual(await breadcrumbs(child.id), [created.slug, child.slug]);
    const listed = await ctx.request({
      method: 'GET',
      url: `/v1/categories?parent=${encodeURIComponent(created.slug)}`,
    });
    assert.deepEqual(
      listed.json().data.map((c: { id: number }) => c.id),
      [child.id],
    );
  });
});
