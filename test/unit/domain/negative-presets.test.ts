/** Negative-prompt presets by edit type (seed 004's table) and their public route. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { NEGATIVE_PRESETS, negativePromptFor } from '../../../src/domain/negative-presets.js';
import { presetRoutes } from '../../../src/http/presets.js';

describe('negative prompt presets', () => {
  it('keeps seed 004\'s table word for word, with a Chinese equivalent for each', () => {
    assert.deepEqual(
      NEGATIVE_PRESETS.map((p) => [p.label, p.en]),
      [
        ['Person Editing', 'distortion, deformation, extra limbs, wrong proportions, uncoordinated, face distortion'],
        ['Style Transfer', 'over-rendered, distortion, mismatched colors, unnatural, inconsistent style'],
        ['Text Editing', 'blurred text, typos, distorted font, unclear strokes, overlapping text'],
        ['Object Editing', 'unnatural, sense of violation, obvious seams, wrong shadows, incorrect perspective'],
        ['Multi-Image Fusion', 'uncoordinated, obvious seams, mismatched lighting, inconsistent tone, stitching marks'],
      ],
    );
    for (const preset of NEGATIVE_PRESETS) {
      assert.match(preset.zh, /\p{Script=Han}/u);
      assert.equal(preset.zh.split('，').length, preset.en.split(', ').length, preset.label);
    }
    assert.equal(negativePromptFor('text', 'zh'), '文字模糊，错别字，字体扭曲，笔画不清晰，文字重叠');
    assert.equal(negativePromptFor('fusion'), NEGATIVE_PRESETS[4]!.en);
    assert.ok(Object.isFrozen(NEGATIVE_PRESETS) && NEGATIVE_PRESETS.every((p) => Object.isFrozen(p)));
  });

  it('serves GET /v1/presets/negative-prompts without a key', async () => {
    const app = Fastify();
    await app.register(presetRoutes);
    const response = await app.inject({ method: 'GET', url: '/v1/presets/negative-prompts' });
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^application\/json/);
    const body = response.json() as { data: Array<{ type: string; label: string; en: string; zh: string }> };
    assert.deepEqual(body.data.map((p) => p.type), ['person', 'style', 'text', 'object', 'fusion']);
    assert.deepEqual(Object.keys(body.data[0]!), ['type', 'label', 'en', 'zh']);
    assert.equal(body.data[1]!.en, 'over-rendered, distortion, mismatched colors, unnatural, inconsistent style');
    assert.equal((await app.inject({ method: 'POST', url: '/v1/presets/negative-prompts' })).statusCode, 404);
    await app.close();
  });
});
