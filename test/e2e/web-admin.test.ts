/**
 * The admin console in a real browser (Debian's chromium) against the real gateway: an operator
 * creates, credits and revokes keys and follows usage, tasks and engines; and how the gateway
 * serves the built pages and the public model catalog they read.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DESKTOP, LOCAL_PRICED, PHONE, scene, screenshot, startWebSuite, textOf, unnamedControls, browserSkip, type WebSuite } from '../helpers/browser.js';
import { startTestGateway } from '../helpers/gateway.js';
import { tempDir } from '../helpers/stores.js';

const ADMIN_TOKEN = 'admin-token-for-web-tests';

let suite: WebSuite;

describe('web admin console and serving', { timeout: 180_000, skip: browserSkip() }, () => {
  before(async () => {
    // The local engine is free unless priced for itself: priced here, so the console shows amounts.
    suite = await startWebSuite({ QIG_ADMIN_TOKEN: ADMIN_TOKEN }, LOCAL_PRICED);
  });

  after(() => suite?.close());

  it('serves the pages with a CSP, the assets with a year-long cache, and a 503 page while unbuilt', async () => {
    const page = await fetch(`${suite.gw.url}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    const html = await page.text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(asset, html);
    const script = await fetch(`${suite.gw.url}${asset}`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(script.status, 200);
    assert.equal(script.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal((await fetch(`${suite.gw.url}/admin`)).status, 200);
    assert.equal((await fetch(`${suite.gw.url}/assets/nothing.js`)).status, 404);

    const empty = tempDir();
    const bare = await startTestGateway({ webDir: empty.path });
    try {
      const missing = await fetch(`${bare.url}/`);
      assert.equal(missing.status, 503);
      assert.match(await missing.text(), /npm run build/);
    } finally {
      await bare.close();
      empty.remove();
    }
  });

  it('lists the model catalog with capabilities, size rules and prices', async () => {
    const catalog = (await (await fetch(`${suite.gw.url}/v1/models`)).json()) as { currency: string; data: any[] };
    assert.equal(catalog.currency, 'CNY');
    const plus = catalog.data.find((m) => m.id === 'qwen-image-edit-plus');
    assert.deepEqual(
      { maxImages: plus.maxImages, maxN: plus.maxN, rule: plus.editSize.rule.kind, price: plus.price.perImage, seaart: plus.endpoints.seaart },
      { maxImages: 3, maxN: 6, rule: 'sides', price: '0.18', seaart: 'qwen_image_edit_plus' },
    );
    const fixed = catalog.data.find((m) => m.id === 'qwen-image-plus');
    assert.equal(fixed.editSize, null);
    assert.equal(fixed.generateSize.rule.sizes.length, 5);
    assert.equal((await fetch(`${suite.gw.url}/v1/models/qwen-image-max`)).status, 200);
    assert.equal((await fetch(`${suite.gw.url}/v1/models/dall-e-9`)).status, 404);
  });

  it('lets an operator create a key, credit it, and follow its usage, tasks and engines', async () => {
    const page = await suite.open(DESKTOP, '/admin', false);
    await page.fill('#admin-token', 'not-the-token');
    await page.click('#token-form button[type=submit]');
    assert.match(await textOf(page, '#admin-token-error'), /QIG_ADMIN_TOKEN/);
    await page.fill('#admin-token', ADMIN_TOKEN);
    await page.click('#token-form button[type=submit]');
    await page.locator('#console').waitFor();

    await page.fill('#key-create [name=name]', 'shop-a');
    await page.fill('#key-create [name=balance]', '10.00');
    await page.fill('#key-create [name=rateLimitPerMinute]', '60');
    await page.click('#key-create button[type=submit]');
    const secret = await textOf(page, '#new-secret');
    assert.match(secret, /^sk-qig-/);
    const row = page.locator('#keys-body tr', { hasText: 'shop-a' });
    assert.match(await row.textContent() ?? '', /¥10\.00.*60\/min.*active/s);
    await screenshot(page, 'admin-desktop-keys');

    const edit = await fetch(`${suite.gw.url}/api/v1/services/aigc/multimodal-generation/generation`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'qwen-image-edit-plus',
        input: { messages: [{ role: 'user', content: [{ image: `data:image/png;base64,${(await scene(900, 600, '#2563eb', '#a5f3fc')).toString('base64')}` }, { text: 'make it sepia' }] }] },
        parameters: { n: 2 },
      }),
    });
    assert.equal(edit.status, 200, await edit.clone().text());

    await row.getByRole('button', { name: 'Credit' }).click();
    await page.fill('#credit-amount', '5');
    await page.click('#admin-dialog button[type=submit]');
    await page.locator('#admin-dialog').waitFor({ state: 'hidden' });
    assert.match(await row.textContent() ?? '', /¥14\.64/);

    await row.getByRole('button', { name: 'Usage' }).click();
    await page.locator('#usage-out .stats').waitFor();
    assert.match(await page.locator('#usage-out .stats').textContent() ?? '', /Billed tasks1Images2Amount¥0\.36/);
    assert.match(await page.locator('#usage-out').textContent() ?? '', /shop-a.*qwen-image-edit-plus/s);
    await screenshot(page, 'admin-desktop-usage');

    await page.click('#tab-engines');
    const card = page.locator('.engine-card').first();
    await card.waitFor();
    assert.match(await card.textContent() ?? '', /local.*healthy/s);
    await screenshot(page, 'admin-desktop-engines');

    const phone = await suite.open(PHONE, '/admin', false);
    await phone.fill('#admin-token', ADMIN_TOKEN);
    await phone.click('#token-form button[type=submit]');
    await phone.locator('#keys-body tr').first().waitFor();
    await screenshot(phone, 'admin-phone-keys');
    assert.equal(await phone.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'), 0);

    await page.click('#tab-keys');
    const temp = await fetch(`${suite.gw.url}/admin/v1/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'temporary' }),
    });
    assert.equal(temp.status, 201);
    await page.click('#keys-refresh');
    const tempRow = page.locator('#keys-body tr', { hasText: 'temporary' });
    await tempRow.getByRole('button', { name: 'Revoke' }).click();
    await page.click('#admin-dialog button[type=submit]');
    await tempRow.locator('.status-chip[data-status="revoked"]').waitFor();

    // The key's tasks, with the engine that ran them, their timings and charge.
    await row.getByRole('button', { name: 'Tasks' }).click();
    const task = page.locator('#tasks-body tr').first();
    await task.locator('.status-chip').waitFor();
    await screenshot(page, 'admin-desktop-tasks');
    assert.match(await task.textContent() ?? '', /shop-a.*qwen-image-edit-plus.*succeeded.*local.*2\/2.*¥0\.36.*make it sepia/s);
  });

  it('is keyboard and screen-reader friendly: every control has a name, a skip link comes first', async () => {
    const page = await suite.open(DESKTOP, '/admin', false);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement.className'), 'skip-link');
    assert.deepEqual(await unnamedControls(page), []);
  });

  it('never reached beyond 127.0.0.1 and raised no script or CSP error', () => suite.assertClean());
});
