/**
 * The console's customer pages in chromium against the real gateway: an operator makes a price
 * group at 0.8× (a model at 0.5×), a user in it with an opening balance and limits, a key for the
 * user (its secret shown once, its limits edited: a wider one refused in the server's words),
 * credits the user; an unlimited user (no Credit) and one without a balance (0.00) held to one
 * model; a group with users cannot be deleted (the server's reason shown); a batch of 3 codes is
 * shown once with a CSV; one code redeemed with the user's key shows in the batch with its
 * redeemer; the user's ledger lists the opening credit, the credit, the code, the task's hold and
 * its settlement; the margins grouped by user name the user. Phone width (375 px) without
 * sideways scrolling, named controls.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Download, Page } from 'playwright-core';
import { browserSkip, DESKTOP, LOCAL_PRICED, scene, screenshot, startWebSuite, textOf, unnamedControls, type WebSuite } from '../helpers/browser.js';

const ADMIN_TOKEN = 'admin-token-for-customer-pages';
const NARROW_PHONE = { width: 375, height: 812 };
const MODEL = 'qwen-image-edit-plus';

let suite: WebSuite;

async function signIn(page: Page): Promise<void> {
  await page.fill('#admin-token', ADMIN_TOKEN);
  await page.click('#token-form button[type=submit]');
  await page.locator('#console').waitFor();
}

/** Fills the open dialog's fields by name and submits it; it closes when the server agreed. */
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

/** Ticks these models in the open dialog's models box (opening it first). */
async function tickModels(page: Page, models: readonly string[]): Promise<void> {
  const box = page.locator('#admin-dialog .models-box');
  if ((await box.getAttribute('open')) === null) await box.locator('summary').click();
  for (const model of models) await box.locator(`input[name=models][value="${model}"]`).check();
}

async function downloaded(page: Page, selector: string): Promise<{ name: string; text: string }> {
  await page.locator(`${selector}:not([hidden])`).waitFor();
  const [download]: [Download, void] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  return { name: download.suggestedFilename(), text: readFileSync((await download.path()) as string, 'utf8') };
}

describe('web console: users, groups, codes and per-user margins', { timeout: 240_000, skip: browserSkip() }, () => {
  before(async () => {
    suite = await startWebSuite({ QIG_ADMIN_TOKEN: ADMIN_TOKEN }, LOCAL_PRICED);
  });

  after(() => suite?.close());

  it('lets an operator run users, groups and top-up codes from the console', async () => {
    const page = await suite.open(DESKTOP, '/admin#groups', false);
    await signIn(page);

    // A group at 0.8×, with one model at 0.5×.
    await page.locator('#groups-body tr[data-group="default"]').waitFor();
    await page.click('#group-add');
    await page.locator('#admin-dialog').getByRole('button', { name: 'Add override' }).click();
    await page.fill('#admin-dialog [name=overrideModel]', MODEL);
    await page.fill('#admin-dialog [name=overrideMultiplier]', '0.5');
    await page.fill('#admin-dialog [name=name]', 'resellers');
    await screenshot(page, 'customers-desktop-group-dialog');
    await dialog(page, { multiplier: '0.8', description: 'Resale' });
    const groupRow = page.locator('#groups-body tr[data-group="resellers"]');
    assert.match((await groupRow.textContent()) ?? '', new RegExp(`resellers.*Resale.*0\\.8×.*${MODEL} 0\\.5×.*0`, 's'));
    // Edited: the override comes back as a row of its own.
    await groupRow.getByRole('button', { name: 'Edit group resellers' }).click();
    assert.equal(await page.locator('#admin-dialog [name=overrideModel]').inputValue(), MODEL);
    await dialog(page, { description: 'Resale partners' });
    await groupRow.locator('td', { hasText: 'Resale partners' }).waitFor();
    assert.match((await groupRow.textContent()) ?? '', new RegExp(`${MODEL} 0\\.5×`));

    // A user in it with an opening balance and limits: its detail opens.
    await page.click('#tab-users');
    await page.locator('#users-body tr').first().waitFor();
    await page.click('#user-add');
    await dialog(page, { name: 'Ada Shop', email: 'ada@shop.test', group: 'resellers', balance: '20.00', rateLimitPerMinute: '60', maxInFlight: '2', budgetAmount: '100', budgetPeriod: 'month' });
    assert.equal(await textOf(page, '#user-balance'), '¥20.00');
    assert.equal(await textOf(page, '#user-group'), 'resellers · 0.8×');
    assert.match(await textOf(page, '#user-stats'), /60\/min, 2 in flight, ¥100\.00 a month/);
    const userId = (await page.locator('#user-head p code').textContent()) ?? '';
    assert.match(userId, /^usr_/);
    // An opening balance is the ledger's first row.
    await page.locator('#user-ledger-body tr[data-kind="credit"]').waitFor();
    assert.match(await textOf(page, '#user-ledger-body'), /credit\+¥20\.00/);

    // A key for the user: its secret shown once.
    await page.locator('#user-keys').getByRole('button', { name: 'New key' }).click();
    await dialog(page, { name: 'ada-prod' });
    const secret = await textOf(page, '#user-key-secret');
    assert.match(secret, /^sk-qig-/);
    const adaKey = page.locator('#user-keys-body tr', { hasText: 'ada-prod' });
    assert.match((await adaKey.textContent()) ?? '', /active/);

    // The key's limits: wider than the user's 60/min is refused in the dialog, naming the field; narrower is kept.
    await adaKey.getByRole('button', { name: 'Edit limits of ada-prod' }).click();
    await page.fill('#admin-dialog [name=rateLimitPerMinute]', '100');
    await page.click('#admin-dialog button[type=submit]');
    assert.match(await textOf(page, '#admin-dialog .field-error'), /rateLimitPerMinute/);
    assert.equal(await page.getAttribute('#admin-dialog [name=rateLimitPerMinute]', 'aria-invalid'), 'true');
    await screenshot(page, 'customers-desktop-key-limits-refused');
    await tickModels(page, [MODEL]);
    await dialog(page, { rateLimitPerMinute: '30', budgetAmount: '' });
    await adaKey.locator('td[data-label="Limits"]', { hasText: '30/min' }).waitFor();
    assert.equal(await adaKey.locator('td[data-label="Models"]').textContent(), MODEL);

    // A credit.
    await page.locator('#user-head').getByRole('button', { name: 'Credit' }).click();
    await dialog(page, { amount: '5' });
    await page.locator('#user-balance', { hasText: '¥25.00' }).waitFor();
    await page.locator('#user-ledger-body tr[data-kind="credit"]').nth(1).waitFor();
    assert.match(await textOf(page, '#user-ledger-body tr:first-child'), /credit\+¥5\.00/);
    await screenshot(page, 'customers-desktop-user');

    // An unlimited user: the amount field is off while the box is ticked; no Credit in its detail.
    await page.locator('#user-head').getByRole('button', { name: 'All users' }).click();
    await page.click('#user-add');
    await page.check('#admin-dialog [name=unlimited]');
    assert.equal(await page.isDisabled('#admin-dialog [name=balance]'), true);
    await screenshot(page, 'customers-desktop-new-user-dialog');
    await dialog(page, { name: 'Ben Lab' });
    assert.equal(await textOf(page, '#user-balance'), 'unlimited');
    assert.equal(await page.locator('#user-head').getByRole('button', { name: 'Credit' }).count(), 0);

    // No opening balance: 0.00 (the user tops up first); one model only, shown in the list.
    await page.locator('#user-head').getByRole('button', { name: 'All users' }).click();
    await page.click('#user-add');
    assert.equal(await page.getAttribute('#admin-dialog [name=balance]', 'placeholder'), '0.00');
    await tickModels(page, [MODEL]);
    await dialog(page, { name: 'development' });
    assert.equal(await textOf(page, '#user-balance'), '¥0.00');
    assert.match(await textOf(page, '#user-head'), new RegExp(`Models: ${MODEL}`));
    const devId = (await page.locator('#user-head p code').textContent()) ?? '';
    // The Users tab, clicked on a user's detail, is the list again.
    await page.click('#tab-users');
    await page.locator('#users-list:not([hidden])').waitFor();
    assert.equal(await page.isHidden('#user-detail'), true);
    const devRow = page.locator(`#users-body tr[data-user="${devId}"]`);
    assert.equal(await devRow.locator('td[data-label="Limits"]').textContent(), `only ${MODEL}`);
    // Without an email, the name and the id are apart: each on its own line.
    const devCell = devRow.locator('td[data-label="User"]');
    assert.equal(await devCell.textContent(), `development ${devId}`);
    const [nameTop, idTop] = await Promise.all([devCell.locator('strong').evaluate((e) => e.getBoundingClientRect().top), devCell.locator('code').evaluate((e) => e.getBoundingClientRect().top)]);
    assert.ok(idTop > nameTop, `the id (${idTop}) sits under the name (${nameTop})`);
    // Edit keeps the model and adds another.
    await devRow.getByRole('button', { name: 'Open development' }).click();
    await page.locator('#user-head').getByRole('button', { name: 'Edit', exact: true }).click();
    assert.equal(await page.isChecked(`#admin-dialog input[name=models][value="${MODEL}"]`), true);
    await tickModels(page, ['qwen-image']);
    await dialog(page, {});
    await page.locator('#user-head p.help', { hasText: /, qwen-image$/ }).waitFor();
    assert.equal(await textOf(page, '#user-head p.help'), `Models: ${MODEL}, qwen-image`);

    // The list, searched and filtered by group.
    await page.locator('#user-head').getByRole('button', { name: 'All users' }).click();
    await page.fill('#users-filter [name=search]', 'ada@shop');
    await page.click('#users-filter button[type=submit]');
    await page.locator('#users-pager', { hasText: '1–1 of 1' }).waitFor();
    await page.selectOption('#users-group', 'resellers');
    await page.locator('#users-pager', { hasText: '1–1 of 1' }).waitFor();
    const userRow = page.locator(`#users-body tr[data-user="${userId}"]`);
    assert.match((await userRow.textContent()) ?? '', /Ada Shop.*ada@shop\.test.*resellers.*¥25\.00.*60\/min.*active/s);
    await screenshot(page, 'customers-desktop-users');

    // A group with users is not deleted: the server's reason is shown.
    await page.click('#tab-groups');
    await groupRow.locator('td[data-label="Users"]', { hasText: '1' }).waitFor();
    await groupRow.getByRole('button', { name: 'Delete group resellers' }).click();
    await page.click('#admin-dialog button[type=submit]');
    assert.match(await textOf(page, '#admin-dialog .field-error'), /user/i);
    await page.locator('#admin-dialog').getByRole('button', { name: 'Cancel' }).click();
    await page.locator('#admin-dialog').waitFor({ state: 'hidden' });

    // A batch of 3 codes, shown once, with a CSV of them.
    await page.click('#tab-codes');
    await page.click('#codes-add');
    await dialog(page, { name: 'launch', amount: '50', count: '3' });
    const codes = (await textOf(page, '#new-codes')).split('\n');
    assert.equal(codes.length, 3);
    for (const code of codes) assert.match(code, /^QIG-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}$/);
    const created = await downloaded(page, '#new-codes-csv');
    assert.match(created.name, /^codes-.+\.csv$/);
    const lines = created.text.trim().split('\r\n');
    assert.equal(lines[0], 'code,amount,batchId,expiresAt');
    assert.deepEqual(lines.slice(1).map((line) => line.split(',')[0]), codes);
    assert.equal(lines[1]?.split(',')[1], '50.00');
    await screenshot(page, 'customers-desktop-codes-created');

    // One code redeemed with the user's key: the batch shows it, and who.
    const redeem = await fetch(`${suite.gw.url}/v1/redeem`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ code: codes[1] }),
    });
    assert.equal(redeem.status, 200, await redeem.clone().text());
    assert.deepEqual(await redeem.json(), { credited: '50.00', balance: '75.00', currency: 'CNY' });
    await page.click('#codes-refresh');
    const batchRow = page.locator('#codes-body tr', { hasText: 'launch' });
    await batchRow.locator('td', { hasText: '1 of 3' }).waitFor();
    await batchRow.getByRole('button', { name: 'Open batch launch' }).click();
    assert.equal(await textOf(page, '#batch-redeemed'), '1 of 3');
    const redeemed = page.locator('#batch-codes tr[data-redeemed="true"]');
    assert.equal(await redeemed.count(), 1);
    assert.match((await redeemed.textContent()) ?? '', new RegExp(`${codes[1]?.slice(0, 8)}.*Ada Shop.*${userId}`, 's'));
    const report = await downloaded(page, '#batch-csv');
    assert.match(report.name, /^redemptions-.+\.csv$/);
    assert.match(report.text, /^codePrefix,redeemedAt,userId,keyId\r\n/);
    assert.match(report.text, new RegExp(`,${userId},`));
    await screenshot(page, 'customers-desktop-batch');

    // A task with the user's key, priced by its group (the model's 0.5×): 2 × ¥0.18 × 0.5.
    const edit = await fetch(`${suite.gw.url}/api/v1/services/aigc/multimodal-generation/generation`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: MODEL,
        input: { messages: [{ role: 'user', content: [{ image: `data:image/png;base64,${(await scene(640, 480, '#2563eb', '#fde047')).toString('base64')}` }, { text: 'make it sepia' }] }] },
        parameters: { n: 2 },
      }),
    });
    assert.equal(edit.status, 200, await edit.clone().text());

    // The user's margins, from its detail: grouped by user, named.
    await page.click('#tab-users');
    await page.locator(`#users-body tr[data-user="${userId}"]`).getByRole('button', { name: 'Open Ada Shop' }).click();
    await page.locator('#user-balance', { hasText: '¥74.82' }).waitFor();
    // The ledger, newest first: the task's hold and settlement (by the key), the code, two credits.
    const ledgerRows = page.locator('#user-ledger-body tr');
    assert.deepEqual(await ledgerRows.evaluateAll((rows) => rows.map((row) => row.getAttribute('data-kind'))), ['release', 'hold', 'redeem', 'credit', 'credit']);
    assert.match((await ledgerRows.nth(1).textContent()) ?? '', /hold−¥0\.18.*ada-prod/s);
    assert.match((await ledgerRows.nth(2).textContent()) ?? '', /redeem\+¥50\.00/);
    assert.equal(await textOf(page, '#user-ledger-pager span'), '1–5 of 5');
    await screenshot(page, 'customers-desktop-user-ledger');
    await page.locator('#user-head').getByRole('button', { name: 'Margins' }).click();
    await page.locator('#panel-margins:not([hidden])').waitFor();
    assert.equal(await page.locator('#margins-group-by').inputValue(), 'user');
    const table = page.locator('#margins-table');
    await table.waitFor();
    assert.match((await table.locator('tbody').textContent()) ?? '', new RegExp(`Ada Shop \\(${userId}\\).*1.*2.*¥0\\.18`, 's'));
    const csv = await downloaded(page, '#margins-csv');
    assert.match(csv.text, /^userId,userName,tasks,/);
    assert.match(csv.text, new RegExp(`${userId},Ada Shop,1,2,0\\.18`));
    await screenshot(page, 'customers-desktop-margins');

    // Back in Users, the user's detail is still open. Disable and enable the user; revoke its key.
    await page.click('#tab-users');
    await page.locator('#user-head h2', { hasText: 'Ada Shop' }).waitFor();
    await page.locator('#user-head').getByRole('button', { name: 'Disable' }).click();
    await page.click('#admin-dialog button[type=submit]');
    await page.locator('#user-head .status-chip[data-status="disabled"]').waitFor();
    const refused = await fetch(`${suite.gw.url}/v1/balance`, { headers: { authorization: `Bearer ${secret}` } });
    assert.ok(refused.status >= 400, `a disabled user's key is refused (${refused.status})`);
    await page.locator('#user-head').getByRole('button', { name: 'Enable' }).click();
    await page.locator('#user-head .status-chip[data-status="active"]').waitFor();
    const keyRow = page.locator('#user-keys-body tr', { hasText: 'ada-prod' });
    await keyRow.getByRole('button', { name: 'Revoke' }).click();
    await page.click('#admin-dialog button[type=submit]');
    await keyRow.locator('.status-chip[data-status="revoked"]').waitFor();

    // Edit: another group and no rate limit.
    await page.locator('#user-head').getByRole('button', { name: 'Edit', exact: true }).click();
    await dialog(page, { group: 'default', rateLimitPerMinute: '' });
    await page.locator('#user-group', { hasText: 'default' }).waitFor();
    assert.match(await textOf(page, '#user-stats'), /2 in flight, ¥100\.00 a month/);
    assert.doesNotMatch(await textOf(page, '#user-stats'), /\/min/);
    assert.deepEqual(await unnamedControls(page), []);
  });

  it('fits a 375 px phone without sideways scrolling, every control named', async () => {
    const page = await suite.open(NARROW_PHONE, '/admin#users', false);
    await signIn(page);
    await page.locator('#users-body tr[data-user]').first().waitFor();
    const wider = 'document.documentElement.scrollWidth - document.documentElement.clientWidth';
    assert.equal(await page.evaluate(wider), 0, 'users list');
    await screenshot(page, 'customers-phone-users');
    await page.locator('#users-body tr[data-user]').first().getByRole('button', { name: /^Open / }).click();
    await page.locator('#user-head h2').waitFor();
    assert.equal(await page.evaluate(wider), 0, 'user detail');
    await screenshot(page, 'customers-phone-user');
    assert.deepEqual(await unnamedControls(page), []);
    for (const tab of ['groups', 'codes'] as const) {
      await page.click(`#tab-${tab}`);
      await page.locator(`#${tab}-body tr`).first().waitFor();
      assert.equal(await page.evaluate(wider), 0, tab);
      assert.deepEqual(await unnamedControls(page), [], tab);
    }
  });

  it('never reached beyond 127.0.0.1 and raised no script or CSP error', () => suite.assertClean());
});
