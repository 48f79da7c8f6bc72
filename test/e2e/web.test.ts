/**
 * The playground in a real browser (Debian's chromium) against the real gateway on the local
 * engine: an edit from uploaded files to a compared, downloaded and reused result, errors once and
 * next to their field, the history, the code shown for the form (run as shown), text-to-image with
 * the images it cannot take set aside, the built-in engine's notice (and none for a model on a fake
 * upstream), phone width. The page may only ever reach 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { startFakeDashScope, type FakeDashScope } from '../fakes/dashscope.js';
import { DESKTOP, LOCAL_PRICED, PHONE, scene, screenshot, startWebSuite, textOf, unnamedControls, browserSkip, type WebSuite } from '../helpers/browser.js';

const run = promisify(execFile);

let suite: WebSuite;
let square: Buffer;
let landscape: Buffer;

async function uploadTwo(page: Page): Promise<void> {
  await page.setInputFiles('#files', [
    { name: 'a.png', mimeType: 'image/png', buffer: square },
    { name: 'b.png', mimeType: 'image/png', buffer: landscape },
  ]);
  await page.locator('#image-list li').nth(1).locator('img').evaluate('img => img.decode()');
}

describe('web playground', { timeout: 180_000, skip: browserSkip() }, () => {
  before(async () => {
    // The local engine is free unless priced for itself: priced here, so the pages show a cost.
    suite = await startWebSuite({}, LOCAL_PRICED);
    square = await scene(480, 480, '#f97316', '#fde68a');
    landscape = await scene(900, 600, '#2563eb', '#a5f3fc');
  });

  after(() => suite?.close());

  it('edits two uploaded images: progress, results with cost and seed, compare, download, reuse', async () => {
    const page = await suite.open(DESKTOP, '/', false);
    // The key is asked for once, and kept.
    await page.locator('#key-panel').waitFor();
    await page.fill('#api-key', suite.gw.key);
    await page.click('#key-form button[type=submit]');
    await page.locator('#key-panel').waitFor({ state: 'hidden' });
    assert.match(await textOf(page, '#balance'), /unlimited/);

    await page.selectOption('#model', 'qwen-image-edit-plus');
    await uploadTwo(page);
    assert.match(await page.locator('#image-list li').nth(1).textContent() ?? '', /sets aspect ratio/);
    // The default size follows the last image (3:2) at about 1 MP, shown before sending.
    assert.match(await textOf(page, '#size-preview'), /1248 × 832 — follows image 2/);
    await page.fill('#prompt', 'make it black and white');
    // A recommended negative prompt by edit type, in English or Chinese.
    await page.getByRole('button', { name: 'Chinese presets' }).click();
    await page.getByRole('button', { name: 'Object Editing' }).click();
    assert.match(await page.inputValue('#negative'), /明显接缝/);
    await page.fill('#n', '2');
    assert.match(await textOf(page, '#cost'), /2 × ¥0\.18 = ¥0\.36/);
    await screenshot(page, 'playground-desktop-form');

    await page.click('#submit');
    await page.locator('#status .status-chip[data-status="SUCCEEDED"]').waitFor({ timeout: 60_000 });
    const cards = page.locator('.result-card');
    assert.equal(await cards.count(), 2);
    await cards.nth(1).locator('img').evaluate('img => img.decode()');
    const summary = await textOf(page, '#results .summary');
    assert.match(summary, /cost 2 × ¥0\.18 = ¥0\.36/);
    assert.match(summary, /links expire in 24 h/);
    assert.match(await cards.nth(0).locator('.result-meta').textContent() ?? '', /1248 × 832\s*seed \d+/);
    assert.match(await page.locator('#results .prompts').textContent() ?? '', /make it black and white/);

    // The result really is black and white.
    const url = (await cards.nth(0).locator('a[download]').getAttribute('href')) as string;
    const { data } = await sharp(Buffer.from(await (await fetch(url)).arrayBuffer())).raw().toBuffer({ resolveWithObject: true });
    for (let i = 0; i < data.length; i += 3 * 97) assert.ok(Math.abs(data[i]! - data[i + 1]!) <= 2 && Math.abs(data[i + 1]! - data[i + 2]!) <= 2);
    assert.match((await cards.nth(0).locator('a[download]').getAttribute('download')) ?? '', /^qwen-.+-1\.png$/);
    await screenshot(page, 'playground-desktop-result');

    // Open it beside its input: a slider moved by keyboard, then side by side.
    await cards.nth(0).locator('.result-image').click();
    const dialog = page.locator('#compare-dialog');
    await dialog.waitFor();
    await dialog.locator('.slider-after').evaluate('img => img.decode()');
    await dialog.locator('input[type=range]').focus();
    await page.keyboard.press('ArrowRight');
    assert.equal(await dialog.locator('input[type=range]').inputValue(), '51');
    await screenshot(page, 'playground-desktop-compare');
    await dialog.locator('[data-mode=side]').click();
    assert.equal(await dialog.locator('.side-by-side img').count(), 2);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });

    await cards.nth(0).getByRole('button', { name: 'Use as input' }).click();
    await page.locator('#image-list li').nth(2).waitFor();
    assert.match(await page.locator('#images-count').textContent() ?? '', /3 of 3/);
  });

  it('shows an error in plain words next to the field it concerns', async () => {
    const page = await suite.open(DESKTOP, '/', true);
    await page.selectOption('#model', 'qwen-image-edit-plus');
    await uploadTwo(page);
    await page.fill('#prompt', 'make it sepia');
    await page.fill('#n', '7');
    await page.click('#submit');
    assert.match(await textOf(page, '#n-error'), /^Must be an integer from 1 to 6 for model qwen-image-edit-plus \(got 7\)/);
    assert.equal(await page.getAttribute('#n', 'aria-invalid'), 'true');
    assert.equal(await page.evaluate('document.activeElement.id'), 'n');

    await page.fill('#n', '1');
    await page.selectOption('#size-mode', 'custom');
    await page.fill('#size-w', '4000');
    await page.fill('#size-h', '4000');
    assert.match(await textOf(page, '#size-preview'), /between 512 and 2048/);
    await page.click('#submit');
    assert.match(await textOf(page, '#size-error'), /4000\*4000 is not allowed/);
    assert.equal(await page.locator('#n-error').textContent(), '', 'the earlier error is cleared');
    await screenshot(page, 'playground-desktop-errors');

    // An image URL the server may not fetch is named on that image.
    await page.selectOption('#size-mode', 'default');
    await page.locator('#image-list button[data-action=remove]').first().click();
    await page.locator('#image-list button[data-action=remove]').first().click();
    await page.fill('#image-url', 'http://127.0.0.1:9/private.png');
    await page.click('#add-url');
    await page.click('#submit');
    assert.match(await textOf(page, '#image-error-0'), /127\.0\.0\.1|private|loopback|not allowed/i);
  });

  it('lists the key’s past tasks with when their links expire, and shows one again', async () => {
    const page = await suite.open(DESKTOP, '/', true);
    const first = page.locator('#history-list li').first();
    await first.waitFor();
    assert.match(await first.textContent() ?? '', /SUCCEEDED.*qwen-image-edit-plus.*make it black and white.*2 images · links expire in 24 h/s);
    await first.getByRole('button', { name: /Show the results/ }).click();
    assert.equal(await page.locator('.result-card').count(), 2);
    await screenshot(page, 'playground-desktop-history');
  });

  it('shows code for the current form that runs as shown', { timeout: 120_000 }, async () => {
    const page = await suite.open(DESKTOP, '/', true);
    await page.selectOption('#model', 'qwen-image-edit-plus');
    await uploadTwo(page);
    await page.fill('#prompt', 'make it black and white; it’s "fine" $HOME `x`');
    await page.click('#show-code');
    await page.check('#code-key');
    const dir = resolve('test-artifacts', 'web', 'snippets');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'a.png'), square);
    writeFileSync(join(dir, 'b.png'), landscape);
    const code: Record<string, string> = {};
    for (const tab of ['curl', 'openai', 'fal', 'seaart', 'client', 'cli']) {
      await page.click(`#tab-${tab}`);
      code[tab] = (await page.locator('#code-text').textContent()) ?? '';
      assert.ok(code[tab]!.includes(suite.gw.url), tab);
    }
    await screenshot(page, 'playground-desktop-code');
    assert.equal(await page.locator('#tab-client').textContent(), 'Node · qig client');
    assert.equal(await page.locator('#tab-cli').textContent(), 'Shell · qig');

    // The qig client's package is not installed here: its code is read, not run.
    const prompt = 'make it black and white; it’s "fine" $HOME `x`';
    for (const line of [
      `const qig = createClient({ baseUrl: ${JSON.stringify(suite.gw.url)}, apiKey: ${JSON.stringify(suite.gw.key)} });`,
      'const result = await qig.edit({',
      '  model: "qwen-image-edit-plus",',
      '  images: ["a.png", "b.png"],',
      `  prompt: ${JSON.stringify(prompt)},`,
      '  watermark: false,',
      "console.log(await result.download('out'));",
    ]) {
      assert.ok(code.client!.includes(line), `client code has ${line}:\n${code.client}`);
    }
    // The command line, run by bash with an npx that prints what it was given.
    const argv = await run('bash', ['-c', `npx() { printf '%s\\0' "$QIG_URL" "$QIG_API_KEY" "$@"; }\n${code.cli!}`], { cwd: dir });
    const [url, key, ...args] = argv.stdout.split('\0').slice(0, -1);
    assert.deepEqual([url, key], [suite.gw.url, suite.gw.key]);
    assert.deepEqual(args.slice(0, 6), ['qig', 'edit', 'a.png', 'b.png', '-p', prompt]);
    assert.deepEqual(args.slice(6, 8), ['--model', 'qwen-image-edit-plus']);
    assert.ok(args.includes('--no-watermark'), args.join(' '));
    assert.deepEqual(args.slice(-2), ['-o', 'out/']);

    const curl = await run('bash', ['-c', code.curl!], { cwd: dir, timeout: 60_000, maxBuffer: 1 << 24 });
    const answer = JSON.parse(curl.stdout) as { output: { choices: Array<{ message: { content: Array<{ image: string }> } }> } };
    assert.match(answer.output.choices[0]!.message.content[0]!.image, /^http:\/\/127\.0\.0\.1:\d+\/files\//);
    for (const tab of ['openai', 'seaart', 'fal']) {
      writeFileSync(join(dir, `${tab}.mjs`), code[tab]!);
      const { stdout } = await run(process.execPath, [`${tab}.mjs`], { cwd: dir, timeout: 60_000 });
      assert.match(stdout, /http:\/\/127\.0\.0\.1:\d+\/files\//, `${tab} printed ${stdout}`);
    }
  });

  it('generates from text alone with a fixed-size model', async () => {
    const page = await suite.open(DESKTOP, '/', true);
    await page.selectOption('#model', 'qwen-image-plus');
    assert.match(await page.locator('#images-count').textContent() ?? '', /none for this model/);
    assert.equal(await page.locator('#size-mode option').count(), 6, 'the default and five fixed sizes');
    assert.equal(await page.isDisabled('#n'), true);
    await page.selectOption('#size-mode', '1328*1328');
    await page.fill('#prompt', 'a poster titled "Come Play Ball!" on green grass');
    assert.equal(await page.locator('#submit').textContent(), 'Generate');
    await page.click('#submit');
    await page.locator('#status .status-chip[data-status="SUCCEEDED"]').waitFor({ timeout: 60_000 });
    await page.locator('.result-card img').first().evaluate('img => img.decode()');
    assert.match(await page.locator('.result-card .result-meta').first().textContent() ?? '', /1328 × 1328/);
  });

  it('says while a model runs on the built-in CPU engine, with the line that connects DashScope', async () => {
    const page = await suite.open(DESKTOP, '/', true);
    await page.selectOption('#model', 'qwen-image-edit-plus');
    const notice = page.locator('#engine-notice');
    await notice.waitFor();
    assert.match(await notice.textContent() ?? '', /qwen-image-edit-plus runs on the built-in CPU engine, not Qwen-Image\..*classical edits.*start the server with DASHSCOPE_API_KEY=sk-…/s);
    await notice.getByText('What it can do').click();
    assert.ok((await notice.locator('li').count()) > 10, 'the vocabulary, on demand');
    assert.match(await notice.textContent() ?? '', /docs\/local-engine\.md#vocabulary/);
    await page.selectOption('#model', 'qwen-image-plus');
    assert.match(await notice.textContent() ?? '', /qwen-image-plus runs on the built-in CPU engine/);
  });

  it('sets aside the images a text-to-image model cannot take, says so, generates, and brings them back', async () => {
    const page = await suite.open(DESKTOP, '/', true);
    await page.selectOption('#model', 'qwen-image-edit-plus');
    await uploadTwo(page);
    await page.selectOption('#model', 'qwen-image-plus');
    assert.equal(await page.locator('#image-list li').count(), 0);
    assert.match(await textOf(page, '#images-aside'), /2 images set aside: qwen-image-plus makes images from text only\. They come back when you pick a model that takes them\./);
    assert.ok(await page.locator('#images-aside').isVisible());
    await screenshot(page, 'playground-desktop-set-aside');
    assert.equal(await page.locator('#submit').textContent(), 'Generate');
    await page.fill('#prompt', 'a lighthouse at dawn');
    await page.click('#submit');
    await page.locator('#status .status-chip[data-status="SUCCEEDED"]').waitFor({ timeout: 60_000 });
    await page.locator('.result-card img').first().evaluate('img => img.decode()');
    assert.match(await page.locator('.result-card .result-meta').first().textContent() ?? '', /1664 × 928/, 'generated at the model\'s own default size, not an edit of the image');
    await page.selectOption('#model', 'qwen-image-edit-plus');
    assert.equal(await page.locator('#image-list li').count(), 2);
    assert.match(await textOf(page, '#images-aside'), /The 2 images set aside earlier are back|2 images set aside earlier are back/);
    assert.equal(await page.locator('#submit').textContent(), 'Edit image');
  });

  it('shows an error once, and the n field\'s error clear of the sticky Run bar', async () => {
    const page = await suite.open(DESKTOP, '/', true);
    await page.selectOption('#model', 'qwen-image-edit-plus');
    await uploadTwo(page);
    // In the form and the result panel (the history lists past tasks with their messages, as it should).
    const count = (text: string) => page.evaluate(`['#form', '.output'].map((s) => document.querySelector(s).innerText).join('\\n').split(${JSON.stringify(text)}).length - 1`);

    // A task the engine refuses: its message in the status only, not again in the results.
    await page.fill('#prompt', 'florp the wibble');
    await page.click('#submit');
    await page.locator('#status .status-chip[data-status="FAILED"]').waitFor({ timeout: 60_000 });
    assert.match(await textOf(page, '#status .status-message'), /^The built-in CPU engine cannot do this edit: "florp the wibble" was not understood\./);
    assert.equal(await count('"florp the wibble" was not understood'), 1);
    assert.match(await textOf(page, '#results'), /No images: the task failed\./);

    // A refused request naming a field: beside the field only.
    await page.fill('#prompt', 'make it sepia');
    await page.fill('#n', '7');
    await page.click('#submit');
    const error = page.locator('#n-error');
    assert.match(await textOf(page, '#n-error'), /^Must be an integer from 1 to 6/);
    assert.equal(await count('integer from 1 to 6'), 1);
    assert.match(await textOf(page, '#status'), /see the highlighted field/);
    const box = await error.boundingBox();
    const bar = await page.locator('.submit-row').boundingBox();
    assert.ok(box && bar, 'both are laid out');
    assert.ok(box.y >= 0 && box.y + box.height <= DESKTOP.height, `in the viewport: ${JSON.stringify(box)}`);
    assert.ok(box.y + box.height <= bar.y || box.y >= bar.y + bar.height, `not under the Run bar: ${JSON.stringify({ box, bar })}`);
    await screenshot(page, 'playground-desktop-n-error');
  });

  it('works at phone width', async () => {
    const page = await suite.open(PHONE, '/', true);
    await uploadTwo(page);
    await page.fill('#prompt', 'rotate it 90 degrees clockwise');
    await screenshot(page, 'playground-phone-form');
    await page.click('#submit');
    await page.locator('#status .status-chip[data-status="SUCCEEDED"]').waitFor({ timeout: 60_000 });
    await page.locator('.result-card img').first().evaluate('img => img.decode()');
    const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    assert.equal(overflow, 0, 'nothing wider than the screen');
    await screenshot(page, 'playground-phone-result');
  });

  it('is keyboard and screen-reader friendly: every control has a name, a skip link comes first', async () => {
    const page = await suite.open(DESKTOP, '/', true);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement.className'), 'skip-link');
    assert.deepEqual(await unnamedControls(page), []);
  });

  it('never reached beyond 127.0.0.1 and raised no script or CSP error', () => suite.assertClean());
});

describe('web playground with a model on an upstream engine', { timeout: 120_000, skip: browserSkip() }, () => {
  let fake: FakeDashScope;
  let upstream: WebSuite;

  before(async () => {
    fake = await startFakeDashScope({ pendingQueries: 0, runningQueries: 1 });
    upstream = await startWebSuite({}, {
      engines: { cloud: { type: 'dashscope', baseUrl: fake.url, apiKey: fake.apiKey } },
      routes: { 'qwen-image-plus': ['cloud'] },
      fetch: { allowHosts: [fake.hostPort] },
    });
  });

  after(async () => {
    await upstream?.close();
    await fake?.close();
  });

  it('shows no built-in engine notice for it, and its answer carries no such warning', async () => {
    const page = await upstream.open(DESKTOP, '/', true);
    await page.selectOption('#model', 'qwen-image-edit-plus');
    await page.locator('#engine-notice').waitFor();
    await page.selectOption('#model', 'qwen-image-plus');
    await page.locator('#engine-notice').waitFor({ state: 'hidden' });
    await page.fill('#prompt', 'a lighthouse at dawn');
    await page.click('#submit');
    await page.locator('#status .status-chip[data-status="SUCCEEDED"]').waitFor({ timeout: 60_000 });
    await page.locator('.result-card img').first().evaluate('img => img.decode()');
    assert.equal(await page.locator('#results .warnings').count(), 0);
    assert.equal(fake.tasks.size, 1, 'the fake upstream made it');
  });

  it('never reached beyond 127.0.0.1 and raised no script or CSP error', () => upstream.assertClean());
});
