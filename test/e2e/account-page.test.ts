/**
 * The self-service account page in a real browser (Debian's chromium) against the real gateway: a
 * user in a 0.8× group, with a balance, two keys and twelve charged tasks (the local engine priced),
 * signs in with a key and sees the balance, its limits, the spend chart, the keys, the tasks'
 * thumbnails and which key ran each, and the ledger (paged: the opening top-up, each hold and
 * settlement); creates a key (its secret shown), is refused a limit wider than the account's,
 * revokes a key, redeems a code (a ledger row; a used code refused in the server's words); at phone
 * width nothing scrolls sideways, the forms stack and the top bar still names the key. The page
 * may only ever reach 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { ARTIFACTS, DESKTOP, LOCAL_PRICED, scene, screenshot, startWebSuite, textOf, unnamedControls, browserSkip, type WebSuite } from '../helpers/browser.js';

const ADMIN_TOKEN = 'admin-token-for-account-page';
const PHONE_375 = { width: 375, height: 740 };

let suite: WebSuite;
let mainKey: string;
let spareKey: string;
let code: string;

async function admin<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${suite.gw.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

/** One edit on the local engine, charged n × ¥0.18 × 0.8. */
async function edit(key: string, n: number, prompt: string): Promise<void> {
  const image = (await scene(480, 320, '#2563eb', '#a5f3fc')).toString('base64');
  const response = await fetch(`${suite.gw.url}/api/v1/services/aigc/multimodal-generation/generation`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'qwen-image-edit-plus', input: { messages: [{ role: 'user', content: [{ image: `data:image/png;base64,${image}` }, { text: prompt }] }] }, parameters: { n } }),
  });
  assert.equal(response.status, 200, await response.text());
}

async function signIn(page: Page, key: string): Promise<void> {
  await page.fill('#api-key', key);
  await page.click('#sign-in-form button[type=submit]');
  await page.locator('#dashboard').waitFor();
  await page.locator('#keys-body tr').first().waitFor();
  await page.locator('#tasks-list li').first().waitFor();
}

describe('web account page', { timeout: 120_000, skip: browserSkip() }, () => {
  before(async () => {
    suite = await startWebSuite({ QIG_ADMIN_TOKEN: ADMIN_TOKEN }, LOCAL_PRICED);
    await admin('PUT', '/admin/v1/groups/partners', { multiplier: '0.8' });
    const user = await admin<{ id: string }>('POST', '/admin/v1/users', { name: 'Ada', group: 'partners', balance: '10.00', rateLimitPerMinute: 60, budget: { amount: '50.00', period: 'month' } });
    mainKey = (await admin<{ key: string }>('POST', `/admin/v1/users/${user.id}/keys`, { name: 'main' })).key;
    spareKey = (await admin<{ key: string }>('POST', `/admin/v1/users/${user.id}/keys`, { name: 'spare' })).key;
    // Twelve tasks in all: more than the page's first ten.
    await Promise.all(Array.from({ length: 10 }, (_, i) => edit(spareKey, 1, `invert the colours (${i + 1})`)));
    await edit(mainKey, 1, 'make it sepia');
    await edit(mainKey, 2, 'make it black and white');
    code = (await admin<{ codes: string[] }>('POST', '/admin/v1/codes', { name: 'welcome', amount: '5.00', count: 1 })).codes[0] as string;
  });

  after(() => suite?.close());

  it('is served at /account under the pages’ CSP', async () => {
    for (const path of ['/account', '/account/']) {
      const response = await fetch(`${suite.gw.url}${path}`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-security-policy') ?? '', /script-src 'self'/);
      assert.match(await response.text(), /<title>Account/);
    }
  });

  it('shows the balance, spend, keys and tasks; creates, limits and revokes keys; redeems a code', async () => {
    const page = await suite.open(DESKTOP, '/account', false);
    await page.fill('#api-key', 'sk-qig-not-a-key');
    await page.click('#sign-in-form button[type=submit]');
    assert.match(await textOf(page, '#api-key-error'), /\S/);
    await signIn(page, mainKey);

    // 10.00 − (10 + 1 + 2) × 0.18 × 0.8 = 8.128.
    assert.equal(await textOf(page, '#balance'), '¥8.128');
    assert.match(await textOf(page, '#group'), /partners · 0\.8×/);
    assert.match(await textOf(page, '#signed-in-as'), /Ada · key main/);
    assert.match(await textOf(page, '#budgets'), /Account budget per month¥1\.872 of ¥50\.00Resets in \d+ (days|h)/);
    // The account's own limits.
    assert.equal(await textOf(page, '#limits'), '60 requests a minute');
    assert.match(await textOf(page, '#overview-stats'), /All models/);

    // Spend: the totals, and bars only on today (UTC), the one day with charges.
    assert.equal(await textOf(page, '#spend-amount'), '¥1.872');
    const bars = page.locator('#spend-chart svg rect.bar');
    await bars.first().waitFor();
    const days = await bars.evaluateAll((rects) => rects.map((rect) => rect.getAttribute('data-day')));
    assert.deepEqual([...new Set(days)], [new Date().toISOString().slice(0, 10)]);
    assert.match(await textOf(page, '#spend-legend'), /qwen-image-edit-plus ¥1\.872/);

    // Keys, the one signed in with marked.
    assert.match((await page.locator('#keys-body tr', { hasText: 'main' }).textContent()) ?? '', /signed in.*active/s);
    assert.match((await page.locator('#keys-body tr', { hasText: 'spare' }).textContent()) ?? '', /active/);

    // Tasks, newest first, with thumbnails that load.
    const newest = page.locator('#tasks-list li').first();
    assert.match((await newest.textContent()) ?? '', /qwen-image-edit-plus.*succeeded.*¥0\.288 · key main.*make it black and white/s);
    assert.equal(await page.locator('#tasks-list li .task-key', { hasText: 'spare' }).count(), 8);
    assert.equal(await newest.locator('img').count(), 2);
    const thumb = newest.locator('img').first();
    assert.equal(await thumb.getAttribute('loading'), 'lazy');
    await thumb.scrollIntoViewIfNeeded();
    await page.waitForFunction(`(() => { const img = document.querySelector('#tasks-list li img'); return img.complete && img.naturalWidth > 0; })()`);
    // Ten at first, then "More" brings the rest.
    assert.equal(await page.locator('#tasks-list li').count(), 10);
    assert.equal(await textOf(page, '#tasks-count'), '10 of 12');
    await page.click('#tasks-more');
    await page.locator('#tasks-list li').nth(11).waitFor();
    assert.match((await page.locator('#tasks-list li').nth(11).textContent()) ?? '', /invert the colours/);
    assert.equal(await page.isHidden('#tasks-more'), true);

    // The ledger, newest first and paged: the last task's settlement and hold, then every task's, the opening top-up last.
    const ledgerRows = page.locator('#ledger-body tr');
    await ledgerRows.first().waitFor();
    assert.equal(await textOf(page, '#ledger-pager span'), '1–20 of 25');
    assert.match((await ledgerRows.nth(0).textContent()) ?? '', /Settled\+?¥0\.00settled: 2 of 2 image/);
    assert.match((await ledgerRows.nth(1).textContent()) ?? '', /Hold−¥0\.288hold for 2 image/);
    await page.locator('#ledger-pager').getByRole('button', { name: 'Older' }).click();
    await page.locator('#ledger-pager span', { hasText: '21–25 of 25' }).waitFor();
    assert.equal(await ledgerRows.count(), 5);
    assert.match((await ledgerRows.last().textContent()) ?? '', /Top-up\+¥10\.00opening balance/);
    await page.locator('#ledger-pager').getByRole('button', { name: 'Newer' }).click();
    await page.locator('#ledger-pager span', { hasText: '1–20 of 25' }).waitFor();
    const kinds = async () => (await ledgerRows.evaluateAll((rows) => rows.map((row) => row.getAttribute('data-kind')))).join(' ');
    assert.match(await kinds(), /^release hold release hold /);
    await screenshot(page, 'account-desktop-ledger');

    // The key stays for this tab: a reload is still signed in.
    await page.reload();
    await page.locator('#keys-body tr').first().waitFor();

    // A new key: its secret once, then it is listed.
    await page.fill('#key-create [name=name]', 'ci');
    await page.fill('#key-create [name=rateLimitPerMinute]', '30');
    await page.fill('#key-create [name=budgetAmount]', '2.00');
    await page.click('#key-create button[type=submit]');
    assert.match(await textOf(page, '#new-secret'), /^sk-qig-/);
    const ciRow = page.locator('#keys-body tr').filter({ has: page.locator('.key-name', { hasText: /^ci$/ }) });
    assert.match((await ciRow.textContent()) ?? '', /30\/min · ¥2\.00 per day.*active/s);
    await screenshot(page, 'account-desktop');

    // A key may narrow the account's 60/min, not widen it: the server's refusal, in the form.
    await ciRow.getByRole('button', { name: 'Edit limits' }).click();
    await page.fill('#account-dialog [name=rateLimitPerMinute]', '100');
    await page.click('#account-dialog button[type=submit]');
    assert.match(await textOf(page, '#dialog-error'), /rateLimitPerMinute: a key may narrow its user's limit of 60/);
    assert.equal(await page.getAttribute('#account-dialog [name=rateLimitPerMinute]', 'aria-invalid'), 'true');
    await page.fill('#account-dialog [name=rateLimitPerMinute]', '20');
    await page.click('#account-dialog button[type=submit]');
    await page.locator('#account-dialog').waitFor({ state: 'hidden' });
    await ciRow.filter({ hasText: '20/min' }).waitFor();

    // Revoke, after a confirmation.
    const spare = page.locator('#keys-body tr').filter({ has: page.locator('.key-name', { hasText: /^spare$/ }) });
    await spare.getByRole('button', { name: 'Revoke' }).click();
    await page.click('#account-dialog button[type=submit]');
    await spare.locator('.status-chip[data-status="revoked"]').waitFor();

    // Redeem: the credit and the new balance; the code again is refused in the server's words.
    await page.fill('#redeem-code', code);
    await page.click('#redeem-form button[type=submit]');
    assert.equal(await textOf(page, '#redeem-result'), '¥5.00 added. Your balance is now ¥13.128.');
    await page.locator('#balance', { hasText: '¥13.128' }).waitFor();
    // The code is the ledger's newest row.
    await page.locator('#ledger-body tr:first-child[data-kind="redeem"]').waitFor();
    assert.match(await textOf(page, '#ledger-body tr:first-child'), /Code\+¥5\.00/);
    assert.equal(await textOf(page, '#ledger-pager span'), '1–20 of 26');
    await page.fill('#redeem-code', code);
    await page.click('#redeem-form button[type=submit]');
    const refusal = await fetch(`${suite.gw.url}/v1/redeem`, { method: 'POST', headers: { authorization: `Bearer ${mainKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ code }) });
    assert.equal(refusal.status, 400);
    const { error } = (await refusal.json()) as { error: { message: string } };
    assert.equal(await textOf(page, '#redeem-error'), error.message);
    assert.match(error.message, /already been redeemed/);

    assert.deepEqual(await unnamedControls(page), []);

    // Sign out forgets the key.
    await page.click('#sign-out');
    await page.locator('#gate').waitFor();
    assert.equal(await page.evaluate('sessionStorage.length'), 0);
  });

  it('fits a 375 px phone: no sideways scrolling, the key form stacked', async () => {
    const page = await suite.open(PHONE_375, '/account', false);
    await signIn(page, mainKey);
    await page.locator('#spend-chart svg').waitFor();
    await screenshot(page, 'account-phone');
    const { scrollWidth, clientWidth } = (await page.evaluate('({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth })')) as { scrollWidth: number; clientWidth: number };
    // On failure, the elements that stick out say where to look.
    const wide = await page.evaluate(`[...document.querySelectorAll('*')].filter((e) => e.getBoundingClientRect().right > ${clientWidth}).map((e) => e.tagName + '#' + e.id + '.' + e.className).slice(0, 10)`);
    assert.ok(scrollWidth <= clientWidth, `${scrollWidth} > ${clientWidth}: ${JSON.stringify(wide)}`);
    const boxes = await page.locator('#key-create label').evaluateAll((labels) => labels.map((label) => label.getBoundingClientRect().left));
    assert.equal(new Set(boxes).size, 1, `the key form's fields start at ${boxes.join(', ')}`);
    // The top bar still says which key is signed in, without the user's name.
    assert.equal(await page.isVisible('#signed-in-as'), true);
    assert.equal(await page.isVisible('#signed-in-as .who-user'), false);
    assert.equal(await textOf(page, '#signed-in-as .who-key'), 'key main');
    const bar = (await page.evaluate(`(() => { const r = document.querySelector('#signed-in-as').getBoundingClientRect(); return { width: r.width, right: r.right }; })()`)) as { width: number; right: number };
    assert.ok(bar.width > 20 && bar.right <= clientWidth, `the key's name shows in the top bar (${JSON.stringify(bar)})`);
    await page.locator('header.topbar').screenshot({ path: `${ARTIFACTS}/account-phone-topbar.png` });
  });

  it('with a key that has limits of its own, manages only that key: no create form, no buttons on the others', async () => {
    const users = await admin<{ data: Array<{ id: string; name: string }> }>('GET', '/admin/v1/users?search=Ada');
    const userId = users.data[0]?.id as string;
    const narrow = await admin<{ key: string }>('POST', `/admin/v1/users/${userId}/keys`, { name: 'narrow', rateLimitPerMinute: 5 });
    const page = await suite.open(DESKTOP, '/account', false);
    await signIn(page, narrow.key);
    assert.equal(await page.isVisible('#key-create'), false);
    assert.match(await textOf(page, '#keys-restricted'), /manages only itself/);
    const rows = await page.locator('#keys-body tr').evaluateAll((trs) => trs.map((tr) => [tr.querySelector('.key-name')?.textContent ?? '', tr.querySelectorAll('button').length]));
    for (const [name, buttons] of rows as Array<[string, number]>) assert.equal(buttons, name === 'narrow' ? 2 : 0, `${name}: ${buttons} buttons`);
    await page.click('#sign-out');
  });

  it('never reached beyond 127.0.0.1 and raised no script or CSP error', () => suite.assertClean());
});
