/**
 * The API reference at /docs in a real browser (Debian's chromium): it renders the server's own
 * document, an operation opens with its examples, and the page reaches nothing beyond 127.0.0.1
 * and logs no script or Content-Security-Policy error under the web pages' policy.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { WEB_CSP } from '../../src/http/web.js';
import { browserSkip, DESKTOP, launchBrowser, openPage, screenshot, type GuardedPage } from '../helpers/browser.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

let browser: Browser;
let gw: TestGateway;
let guarded: GuardedPage;

describe('API reference page', { timeout: 120_000, skip: browserSkip() }, () => {
  before(async () => {
    browser = await launchBrowser();
    gw = await startTestGateway();
    guarded = await openPage(browser, DESKTOP);
  });

  after(async () => {
    await guarded?.context.close();
    await browser?.close();
    await gw?.close();
  });

  it('serves the page under the web pages\' policy', async () => {
    const response = await fetch(`${gw.url}/docs`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-security-policy'), WEB_CSP);
    const html = await response.text();
    // Every script and style is the page's own file: nothing from another host, nothing inline.
    assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//);
    assert.doesNotMatch(html, /<script>|<style>/);
  });

  it('renders the document, opens an operation, and stays on 127.0.0.1', async () => {
    const { page } = guarded;
    await page.goto(`${gw.url}/docs`);
    await page.locator('.swagger-ui .info .title').filter({ hasText: 'qwen-image-gateway' }).waitFor();
    const operation = page.locator('#operations-DashScope-dashscopeMultimodalGeneration');
    await operation.locator('.opblock-summary').click();
    await operation.locator('.opblock-body').filter({ hasText: 'qwen-image-edit-plus-2025-12-15' }).waitFor();
    assert.ok((await page.locator('.opblock').count()) > 50);
    await screenshot(page, 'docs-operation');
    assert.deepEqual(guarded.blocked, []);
    assert.deepEqual(guarded.errors, []);
  });
});
