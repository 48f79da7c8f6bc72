/**
 * Browser tests: Debian's chromium driven by playwright-core, the web pages built into a temporary
 * directory, every request the page makes held to 127.0.0.1, and screenshots under test-artifacts/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import assert from 'node:assert/strict';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import sharp from 'sharp';
import { build } from 'vite';
import { startTestGateway, type TestGateway } from './gateway.js';
import { tempDir } from './stores.js';
import { DEFAULT_PRICES } from '../../src/domain/prices.js';

export const ARTIFACTS = resolve('test-artifacts', 'web');

/** Builds web/ with its own Vite config into a fresh temporary directory. */
export async function buildWeb(): Promise<{ dir: string; remove(): void }> {
  const out = tempDir('qig-web-');
  await build({ root: resolve('web'), logLevel: 'silent', build: { outDir: out.path, emptyOutDir: true } });
  return { dir: out.path, remove: out.remove };
}

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Why the browser suites are skipped, or false to run them: they skip on a machine without
 * chromium, unless QIG_REQUIRE_BROWSER=1 (CI) makes a missing browser a failure.
 */
export function browserSkip(): string | false {
  if (existsSync(CHROMIUM) || process.env.QIG_REQUIRE_BROWSER === '1') return false;
  return `no chromium at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM_PATH`;
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      // Belt and braces beside the request guard: no name resolves except the loopback address.
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    ],
  });
}

export interface GuardedPage {
  context: BrowserContext;
  page: Page;
  /** Requests to anywhere but 127.0.0.1, refused. */
  blocked: string[];
  /** Console errors and uncaught exceptions. */
  errors: string[];
}

/** A fresh context and page whose requests may only go to 127.0.0.1. */
export async function openPage(browser: Browser, viewport: { width: number; height: number }): Promise<GuardedPage> {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const blocked: string[] = [];
  const errors: string[] = [];
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1') return route.continue();
    blocked.push(url.href);
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(String(error)));
  return { context, page, blocked, errors };
}

/**
 * The whole page: the viewport is stretched to the page's height for the shot (a full-page capture
 * would paint sticky bars in the middle), then put back.
 */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  const viewport = page.viewportSize();
  const height = Number(await page.evaluate('document.documentElement.scrollHeight'));
  if (viewport) await page.setViewportSize({ width: viewport.width, height: Math.max(viewport.height, height) });
  await page.screenshot({ path });
  if (viewport) await page.setViewportSize(viewport);
  return path;
}

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/** A small landscape (sky, sun, hills, a house) drawn by sharp from SVG: something worth editing. */
export function scene(width: number, height: number, sky: string, sun: string): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 300 200" preserveAspectRatio="none">
    <defs><linearGradient id="s" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${sky}"/><stop offset="1" stop-color="#fff7ed"/></linearGradient></defs>
    <rect width="300" height="200" fill="url(#s)"/><circle cx="220" cy="60" r="28" fill="${sun}"/>
    <path d="M0 150 Q60 100 120 140 T240 130 T300 140 V200 H0Z" fill="#15803d"/><path d="M0 175 Q90 140 170 170 T300 165 V200 H0Z" fill="#166534"/>
    <rect x="60" y="120" width="36" height="30" fill="#7c2d12"/><path d="M54 122 L78 100 L102 122Z" fill="#b91c1c"/></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/** The pages built, the gateway serving them, a browser, and the pages it opened. */
export interface WebSuite {
  gw: TestGateway;
  /** A fresh page at `path`, with the gateway's development key already saved when asked. */
  open(viewport: { width: number; height: number }, path: string, withKey: boolean): Promise<Page>;
  /** No page reached beyond 127.0.0.1 or logged a script or CSP error. */
  assertClean(): void;
  close(): Promise<void>;
}

/** A config that prices the built-in local engine (free by default) at the models' default prices. */
export const LOCAL_PRICED: Record<string, unknown> = { prices: { perEngine: { local: { ...DEFAULT_PRICES } } } };

/** `config`: the gateway's config file (JSON), e.g. routes to a fake upstream. */
export async function startWebSuite(env: Record<string, string> = {}, config?: Record<string, unknown>): Promise<WebSuite> {
  // The browser first: when it cannot start, nothing is left running to keep the test alive.
  const browser = await launchBrowser();
  let web: Awaited<ReturnType<typeof buildWeb>> | undefined;
  let gw: TestGateway;
  try {
    web = await buildWeb();
    gw = await startTestGateway({ env, webDir: web.dir, ...(config ? { config } : {}) });
  } catch (error) {
    await browser.close();
    web?.remove();
    throw error;
  }
  const built = web;
  const pages: GuardedPage[] = [];
  return {
    gw,
    async open(viewport, path, withKey) {
      const guarded = await openPage(browser, viewport);
      pages.push(guarded);
      if (withKey) await guarded.context.addInitScript({ content: `localStorage.setItem('qig.apiKey', ${JSON.stringify(gw.key)});` });
      await guarded.page.goto(`${gw.url}${path}`);
      return guarded.page;
    },
    assertClean() {
      for (const { blocked, errors } of pages) {
        assert.deepEqual(blocked, []);
        // A missing optional endpoint logs a failed load; anything else is a defect.
        assert.deepEqual(errors.filter((text) => !/^Failed to load resource/.test(text)), []);
      }
    },
    async close() {
      for (const { context } of pages) await context.close();
      await browser.close();
      await gw.close();
      built.remove();
    },
  };
}

/** Text of an element once it is non-empty. */
export async function textOf(page: Page, selector: string): Promise<string> {
  await page.locator(selector).filter({ hasText: /\S/ }).waitFor();
  return (await page.locator(selector).textContent()) ?? '';
}

/** Controls without an accessible name, outside dialogs and hidden parts. */
export function unnamedControls(page: Page): Promise<unknown> {
  return page.evaluate(`[...document.querySelectorAll('button, input, select, textarea')]
    .filter((e) => e.type !== 'file' && !e.closest('[hidden], dialog'))
    .filter((e) => !((e.labels && e.labels.length) || e.getAttribute('aria-label') || e.getAttribute('aria-labelledby') || (e.tagName === 'BUTTON' && e.textContent.trim())))
    .map((e) => e.outerHTML.slice(0, 100))`);
}
