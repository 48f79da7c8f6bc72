/** A plain-HTTP DashScope client for end-to-end tests of the gateway with upstream engines. */
import assert from 'node:assert/strict';
import sharp from 'sharp';
import type { TestGateway } from '../helpers/gateway.js';

export const SYNC_PATH = '/api/v1/services/aigc/multimodal-generation/generation';
export const ASYNC_PATH = '/api/v1/services/aigc/text2image/image-synthesis';

export async function call(server: TestGateway, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${server.key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as Record<string, any>) : {} };
}

export function editBody(model: string, images: Buffer[], text: string, parameters: Record<string, unknown> = {}) {
  return {
    model,
    input: { messages: [{ role: 'user', content: [...images.map((png) => ({ image: `data:image/png;base64,${png.toString('base64')}` })), { text }] }] },
    parameters,
  };
}

export async function waitForTask(server: TestGateway, taskId: string, timeoutMs = 30_000): Promise<Record<string, any>> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { json } = await call(server, 'GET', `/api/v1/tasks/${taskId}`);
    if (['SUCCEEDED', 'FAILED', 'CANCELED'].includes(json.output.task_status)) return json;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`task ${taskId} did not finish`);
}

/** Fetches one of our output URLs: it must be ours (re-hosted), a PNG, and returns its size and mean colour. */
export async function fetchOutput(server: TestGateway, url: string): Promise<{ width: number; height: number; mean: number[] }> {
  assert.ok(url.startsWith(`${server.url}/files/`), `an URL of ours, not the upstream's: ${url}`);
  const response = await fetch(url);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'image/png');
  const bytes = Buffer.from(await response.arrayBuffer());
  const meta = await sharp(bytes).metadata();
  const stats = await sharp(bytes).stats();
  return { width: meta.width ?? 0, height: meta.height ?? 0, mean: stats.channels.slice(0, 3).map((c) => Math.round(c.mean)) };
}
