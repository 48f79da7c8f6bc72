/**
 * The notice shown while the chosen model runs on the built-in CPU engine: what it is (classical
 * edits, not Qwen-Image), the one line that connects DashScope, and what it can do.
 */
import { byId, h, setChildren } from '../lib/dom.js';
import type { BuiltInEngine, CatalogModel } from '../lib/types.js';

export class EngineNotice {
  private readonly box = byId('engine-notice', HTMLElement);

  constructor(private readonly engine: BuiltInEngine) {}

  show(model: CatalogModel): void {
    // A model no engine serves fails on its own terms; only the built-in engine needs saying.
    const builtIn = model.engine !== null && !model.engine.generative;
    this.box.hidden = !builtIn;
    if (!builtIn) return;
    const { summary, connect, vocabulary, docs } = this.engine;
    setChildren(
      this.box,
      h('p', { class: 'notice-title' }, h('strong', {}, `${model.id} runs on the built-in CPU engine, not Qwen-Image.`)),
      h('p', {}, summary),
      h('p', {}, 'For real Qwen-Image results, start the server with ', h('code', { class: 'notice-line' }, connect), '.'),
      h(
        'details',
        {},
        h('summary', {}, 'What it can do'),
        h('ul', { class: 'notice-list' }, ...vocabulary.map((entry) => h('li', {}, entry))),
        h('p', { class: 'help' }, 'Every operation with examples: ', h('code', {}, docs), '.'),
      ),
    );
  }
}
