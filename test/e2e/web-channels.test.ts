/**
 * The console's channel pages in chromium against the real gateway and a fake DashScope: an
 * operator adds a channel with two credentials (keys shown as their last 4 only), drags it to the
 * top of a route, edits a price; a task through the channel gets the credential with a wrong key
 * disabled, which the page shows with its reason and the operator re-enables; a test (a real
 * one-image request) through the good credential answers; the margins show a chart and a CSV download. Phone width, named controls.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { call, editBody, SYNC_PATH } from '../fakes/dashscope-client.js';
import { startFakeDashScope, type FakeDashScope } from '../fakes/dashscope.js';
import { browserSkip, DESKTOP, PHONE, scene, screenshot, startWebSuite, textOf, unnamedControls, type WebSuite } from '../helpers/browser.js';

const ADMIN_TOKEN = 'admin-token-for-channel-pages';
const WRONG_KEY = 'sk-wrong-account-9z9z';
const MODEL = 'qwen-image-edit-plus';

let fake: FakeDashScope;
let suite: WebSuite;

async function admin(path: string, init: { method?: string; body?: unknown } = {}): Promise<any> {
  const response = await fetch(`${suite.gw.url}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: init.body === undefined ? null : JSON.stringify(init.body),
  });
  assert.ok(response.ok, `${path}: ${response.status}`);
  return response.status === 204 ? null : response.json();
}

async function signIn(page: Page): Promise<void> {
  await page.fill('#admin-token', ADMIN_TOKEN);
  await page.click('#token-form button[type=submit]');
  await page.locator('#console').waitFor();
}

async function dialog(page: Page, fields: Record<string, string>): Promise<void> {
  const box = page.locator('#admin-dialog');
  await box.waitFor();
  for (const [name, value] of Object.entries(fields)) {
    const control = box.locator(`[name="${name}"]`);
    if ((await control.evaluate((e) => e.tagName)) === 'SELECT') await control.selectOption(value);
    else await control.fill(value);
  }
  await box.locator('button[type=submit]').click();
  await box.waitFor({ state: 'hidden' });
}

describe('web console: channels, routes, prices, margins', { timeout: 240_000, skip: browserSkip() }, () => {
  before(async () => {
    fake = await startFakeDashScope({ pendingQueries: 0, runningQueries: 1 });
    suite = await startWebSuite({ QIG_ADMIN_TOKEN: ADMIN_TOKEN }, { fetch: { allowHosts: [fake.hostPort] } });
  });

  after(async () => {
    await suite?.close();
    await fake?.close();
  });

  it('lets an operator run channels, routes, prices and margins from the console', async () => {
    const page = await suite.open(DESKTOP, '/admin#channels', false);
    await signIn(page);

    // A channel with two credentials: the good account, and one whose key the upstream refuses.
    await page.click('#channel-add');
    await dialog(page, { name: 'cloud', type: 'dashscope', baseUrl: fake.url, cost: '* = 0.14' });
    const card = page.locator('article[data-channel="cloud"]');
    for (const [apiKey, label, weight] of [[fake.apiKey, 'good', '1'], [WRONG_KEY, 'wrong', '1000']] as const) {
      await card.getByRole('button', { name: 'Add credential' }).click();
      await dialog(page, { apiKey, label, weight });
    }
    const rows = card.locator('tr[data-credential]');
    await rows.nth(1).waitFor();
    assert.match((await rows.nth(0).textContent()) ?? '', new RegExp(`good\\s*…${fake.apiKey.slice(-4)}`));
    assert.match((await rows.nth(1).textContent()) ?? '', /wrong\s*…9z9z/);
    const html = await page.content();
    assert.ok(!html.includes(fake.apiKey) && !html.includes(WRONG_KEY), 'no key is shown whole');
    await screenshot(page, 'channels-desktop-added');

    // A route for the model: local first, then the new channel dragged above it.
    await page.click('#tab-routes');
    await page.fill('#route-add [name=model]', MODEL);
    await page.selectOption('#route-add-channel', 'local');
    await page.click('#route-add button[type=submit]');
    const route = page.locator(`article[data-route="${MODEL}"]`);
    await route.locator('select').selectOption('cloud');
    await route.getByRole('button', { name: 'Add channel' }).click();
    await route.locator('li[data-channel="cloud"]').dragTo(route.locator('li[data-channel="local"]'));
    assert.deepEqual(await route.locator('li').evaluateAll((items) => items.map((li) => li.getAttribute('data-channel'))), ['cloud', 'local']);
    assert.equal(await route.locator('li[data-channel="cloud"] .tag').textContent(), 'priority 10');
    // The arrows do the same from the keyboard, and back.
    await route.getByRole('button', { name: 'Move cloud down' }).click();
    await route.getByRole('button', { name: 'Move local down' }).click();
    await route.getByRole('button', { name: 'Save' }).click();
    assert.equal(await textOf(page, `article[data-route="${MODEL}"] .route-status`), 'Saved.');
    const saved = await admin('/admin/v1/routes');
    assert.deepEqual(saved.routes[MODEL].map((e: { channel: string; priority: number }) => [e.channel, e.priority]), [['cloud', 10], ['local', 0]]);
    await screenshot(page, 'channels-desktop-routes');

    // A built-in price overridden and edited in place.
    await page.click('#tab-prices');
    await page.getByRole('button', { name: `Override the built-in price of ${MODEL}` }).click();
    const row = page.locator('[data-table="Every channel"] tbody tr').last();
    assert.equal(await row.locator('input').first().inputValue(), MODEL);
    await row.locator('input.amount').fill('0.31');
    await page.click('#prices-save');
    assert.match(await textOf(page, '#prices-status'), /Saved/);
    assert.equal((await admin('/admin/v1/prices')).perImage[MODEL], '0.31');

    // Tasks through the channel: the wrong key (weight 1000) is tried first, refused, and disabled.
    const png = await scene(640, 480, '#2563eb', '#fde047');
    let disabled: any = null;
    for (let attempt = 0; attempt < 6 && !disabled; attempt += 1) {
      const { status, json } = await call(suite.gw, 'POST', SYNC_PATH, editBody(MODEL, [png], 'make it sepia', { size: '512*512' }));
      assert.equal(status, 200, JSON.stringify(json));
      disabled = (await admin('/admin/v1/channels/cloud')).credentials.find((c: any) => c.disabled !== null) ?? null;
    }
    assert.ok(disabled, 'the credential with the wrong key was disabled');
    await page.click('#tab-channels');
    const wrong = card.locator('tr[data-credential]', { hasText: 'wrong' });
    await wrong.locator('.disabled-reason').waitFor();
    assert.match((await wrong.textContent()) ?? '', /disabled: key refused.*InvalidApiKey.*Re-test/s);
    await screenshot(page, 'channels-desktop-disabled');
    await wrong.getByRole('button', { name: 'Re-enable' }).click();
    await wrong.locator('.disabled-reason').waitFor({ state: 'detached' });
    assert.equal((await admin('/admin/v1/channels/cloud')).credentials.find((c: any) => c.label === 'wrong').disabled, null);

    // A test through the good account (a real one-image request) answers, with its latency.
    await card.locator('tr[data-credential]', { hasText: 'good' }).getByRole('button', { name: 'Test' }).click();
    const result = page.locator('#channel-cloud-result', { hasText: /^(OK|Failed)/ });
    await result.waitFor();
    assert.match((await result.textContent()) ?? '', /^OK \((query|task) via good on \S+, \d+(\.\d)? m?s\)/);

    // Margins: the table, the charts and the CSV file.
    await page.click('#tab-margins');
    await page.locator('#margins-chart-requests canvas').waitFor();
    await page.locator('#margins-chart-amounts canvas').waitFor();
    assert.match((await page.locator('#margins-table').textContent()) ?? '', new RegExp(MODEL));
    await page.locator('#margins-csv:not([hidden])').waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#margins-csv')]);
    assert.match(download.suggestedFilename(), /^margins-\d{4}-\d\d-\d\d-\d{4}-\d\d-\d\d\.csv$/);
    const csv = readFileSync((await download.path()) as string, 'utf8');
    assert.match(csv, /^day,model,tasks,images,revenue,cost,margin,marginPercent,currency\r\n/);
    assert.match(csv, new RegExp(`,${MODEL},`));
    await screenshot(page, 'channels-desktop-margins');
    assert.deepEqual(await unnamedControls(page), []);
  });

  it('is usable at phone width with every control named', async () => {
    const page = await suite.open(PHONE, '/admin#channels', false);
    await signIn(page);
    for (const tab of ['channels', 'routes', 'prices', 'margins'] as const) {
      await page.click(`#tab-${tab}`);
      await page.locator(`#panel-${tab} :is(article, table, canvas)`).first().waitFor();
      await screenshot(page, `channels-phone-${tab}`);
      assert.equal(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'), 0, tab);
      assert.deepEqual(await unnamedControls(page), [], tab);
    }
  });

  it('never reached beyond 127.0.0.1 and raised no script or CSP error', () => suite.assertClean());
});
