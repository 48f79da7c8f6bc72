/**
 * The README's quick start, for real: the server process starts with embedded defaults, prints
 * a development key once, says that its models run on the built-in CPU engine, serves a DashScope
 * request, and stops cleanly on SIGTERM.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { spawnServer } from '../helpers/process.js';
import { tempDir } from '../helpers/stores.js';

describe('quick start', () => {
  it('starts with embedded defaults, prints a development key once, serves, and stops on SIGTERM', async () => {
    const dir = tempDir();
    try {
      const server = await spawnServer({ PORT: '0', QIG_DATA_DIR: dir.path });
      const key = /Development API key[^\n]*\n\s+(sk-qig-\w+)/.exec(server.output())?.[1];
      assert.ok(key, server.output());
      assert.equal(readFileSync(join(dir.path, 'dev-key.txt'), 'utf8').trim(), key);
      const health = await fetch(`${server.url}/healthz`);
      assert.equal(health.status, 200);
      const response = await fetch(`${server.url}/api/v1/services/aigc/multimodal-generation/generation`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'qwen-image-2.0-pro', input: { messages: [{ role: 'user', content: [{ text: 'a blue sky poster' }] }] }, parameters: { size: '512*512' } }),
      });
      assert.equal(response.status, 200);
      const answer = (await response.json()) as { output: { choices: Array<{ message: { content: Array<{ image: string }> } }> } };
      const image = await fetch(answer.output.choices[0]!.message.content[0]!.image);
      assert.equal(image.headers.get('content-type'), 'image/png');
      assert.ok((await image.arrayBuffer()).byteLength > 0);
      assert.equal(await server.stop('SIGTERM'), 0);

      // One line says that every model runs on the built-in CPU engine, and how to connect DashScope.
      const notice = server.output().split('\n').filter((line) => line.includes('built-in CPU engine'));
      assert.equal(notice.length, 1, server.output());
      const line = JSON.parse(notice[0]!) as { level: number; msg: string; models: string[] };
      assert.equal(line.level, 40, 'a warning');
      assert.match(line.msg, /^Every model runs on the built-in CPU engine: classical edits, not Qwen-Image\. For Qwen-Image results set DASHSCOPE_API_KEY=sk-…/);
      assert.ok(line.models.includes('qwen-image-edit-plus'));

      // With a DashScope key every model runs there first: no such line (nothing is called at start).
      const again = await spawnServer({ PORT: '0', QIG_DATA_DIR: dir.path, DASHSCOPE_API_KEY: 'sk-test-not-used', DASHSCOPE_BASE_URL: 'http://127.0.0.1:9' });
      assert.doesNotMatch(again.output(), /Development API key/, 'the key is printed only once');
      assert.doesNotMatch(again.output(), /built-in CPU engine/);
      assert.equal(await again.stop('SIGTERM'), 0);
    } finally {
      dir.remove();
    }
  });

  it('refuses a bad configuration naming the variable', async () => {
    await assert.rejects(spawnServer({ PORT: 'eighty' }), /PORT: must be a whole number/);
  });
});
