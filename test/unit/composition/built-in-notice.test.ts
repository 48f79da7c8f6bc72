import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { builtInEngineNotice } from '../../../src/composition/built-in-notice.js';
import { listModels } from '../../../src/domain/models.js';

describe('the start line about the built-in engine', () => {
  const models = listModels();

  it('says every model when every route starts with the built-in engine', () => {
    const notice = builtInEngineNotice(models, () => ({ name: 'cpu', type: 'local' }));
    assert.match(notice?.message ?? '', /^Every model runs on the built-in CPU engine: classical edits, not Qwen-Image\. For Qwen-Image results set DASHSCOPE_API_KEY=sk-…/);
    assert.equal(notice?.models.length, models.length);
  });

  it('names the models that run on it, and nothing when none does', () => {
    const notice = builtInEngineNotice(models, (model) => (model.id === 'qwen-image-plus' ? { name: 'cpu', type: 'local' } : { name: 'dashscope', type: 'dashscope' }));
    assert.deepEqual(notice?.models, ['qwen-image-plus']);
    assert.match(notice?.message ?? '', /^qwen-image-plus runs on the built-in CPU engine/);
    assert.equal(builtInEngineNotice(models, () => ({ name: 'dashscope', type: 'dashscope' })), null);
    assert.equal(builtInEngineNotice(models, () => null), null, 'a model no engine serves is not said to run on it');
  });
});
