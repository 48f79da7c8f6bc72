/** Engines: type, capabilities, place in the routes, and circuit state with load. */
import { byId, h, setChildren } from '../lib/dom.js';
import { dateTime } from '../lib/format.js';
import { adminCall } from './client.js';
import type { EngineView, EnginesAnswer } from './types.js';

const ordinal = (n: number) => `${n}${n === 1 ? 'st' : n === 2 ? 'nd' : n === 3 ? 'rd' : 'th'}`;

const STATE_WORDS: Readonly<Record<string, string>> = {
  closed: 'healthy',
  'half-open': 'probing',
  open: 'circuit open',
};

export class EnginesSection {
  private readonly cards = byId('engine-cards', HTMLDivElement);

  async load(): Promise<void> {
    const answer = await adminCall<EnginesAnswer>('/admin/v1/engines');
    setChildren(this.cards, ...answer.data.map((engine) => this.card(engine)));
  }

  private card(engine: EngineView): HTMLElement {
    const { health, capabilities } = engine;
    const flag = (label: string, on: boolean) => h('span', { class: on ? 'tag yes' : 'tag no' }, `${on ? '✓' : '✗'} ${label}`);
    const stats: Array<[string, string]> = health
      ? [
          ['Failures in a row', String(health.consecutiveFailures)],
          ['In flight', health.maxConcurrent !== null ? `${health.inFlight} / ${health.maxConcurrent}` : String(health.inFlight)],
          ['Waiting', String(health.waiting)],
          ['Outputs', health.outputs],
        ]
      : [];
    if (health?.retryAt) stats.push(['Next probe', dateTime(Date.parse(health.retryAt))]);
    return h(
      'article',
      { class: 'engine-card', 'aria-labelledby': `engine-${engine.name}` },
      h(
        'header',
        {},
        h('h3', { id: `engine-${engine.name}` }, engine.name),
        h('span', { class: 'tag' }, engine.type),
        health ? h('span', { class: 'status-chip', 'data-status': health.state }, STATE_WORDS[health.state] ?? health.state) : null,
      ),
      stats.length > 0 ? h('dl', { class: 'engine-stats' }, ...stats.flatMap(([term, value]) => [h('dt', {}, term), h('dd', {}, value)])) : null,
      h('p', { class: 'engine-models' }, h('span', { class: 'muted' }, 'Models: '), engine.models === '*' ? 'all' : engine.models.join(', ')),
      capabilities
        ? h(
            'div',
            { class: 'chips' },
            h('span', { class: 'tag' }, `≤ ${capabilities.maxImagesPerCall} images per call`),
            flag('negative prompt', capabilities.negativePrompt),
            flag('prompt extend', capabilities.promptExtend),
            flag('seed', capabilities.seed),
            flag('watermark', capabilities.watermark),
            flag('cancel while running', capabilities.cancelRunning),
          )
        : null,
      h(
        'p',
        { class: 'engine-routes muted' },
        engine.routes.length > 0 ? engine.routes.map((r) => `${ordinal(r.position)} of ${r.of} for ${r.model}`).join(' · ') : 'In no route.',
      ),
    );
  }
}
