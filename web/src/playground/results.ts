/** The outcome of a task: its images in a grid with size, seed and cost, and what to do with each. */
import { byId, h, icon, setChildren } from '../lib/dom.js';
import { costLine, sizeText, untilText, urlExpiry } from '../lib/format.js';
import type { CatalogModel, TaskOutput } from '../lib/types.js';
import type { CompareDialog, ComparePicture } from './compare.js';

export interface ResultView {
  task: TaskOutput;
  model: CatalogModel | undefined;
  /** The run's seed (output i used seed + i), when this page sent it. */
  seed: number | null;
  inputs: readonly ComparePicture[];
  /** The key's balance after the task, as the header shows it. */
  balance: string | null;
  /** A failed task's error is already on the page (the status or its field): not repeated here. */
  errorShown: boolean;
}

export class Results {
  private readonly box = byId('results', HTMLDivElement);

  constructor(
    private readonly compare: CompareDialog,
    private readonly useAsInput: (blob: Blob, name: string) => void,
    private readonly announce: (text: string) => void,
  ) {}

  show(view: ResultView): void {
    const results = view.task.results ?? [];
    if (results.length === 0) return setChildren(this.box, this.empty(view.task, view.errorShown));
    const { model } = view;
    const first = results[0];
    const expiry = first ? urlExpiry(first.url) : null;
    const facts = [
      `${results.length} ${results.length === 1 ? 'image' : 'images'}`,
      view.task.model_name ?? model?.id,
      model ? `cost ${costLine(results.length, model.price.perImage, model.price.currency)}` : null,
      view.balance ? `balance ${view.balance}` : null,
      expiry !== null ? `links expire ${untilText(expiry)}` : null,
    ].filter((fact): fact is string => Boolean(fact));
    const prompt = first?.orig_prompt ?? '';
    const actual = first?.actual_prompt ?? prompt;
    setChildren(
      this.box,
      h('p', { class: 'summary' }, ...facts.map((fact) => h('span', { class: 'tag' }, fact))),
      h(
        'dl',
        { class: 'prompts' },
        h('dt', {}, 'Prompt'),
        h('dd', {}, prompt),
        actual !== prompt ? h('dt', {}, 'Actual prompt') : null,
        actual !== prompt ? h('dd', {}, actual) : null,
      ),
      view.task.warnings?.length ? h('ul', { class: 'warnings', 'aria-label': 'Warnings' }, ...view.task.warnings.map((w) => h('li', {}, w))) : null,
      h('ul', { class: 'result-grid' }, ...results.map((result, i) => this.card(view, result.url, i))),
    );
  }

  private empty(task: TaskOutput, errorShown: boolean): HTMLElement {
    const failed = errorShown ? 'No images: the task failed.' : (task.message ?? 'The task failed.');
    const text = task.task_status === 'FAILED' ? failed : task.task_status === 'CANCELED' ? 'The task was canceled.' : 'No images yet.';
    return h('p', { class: 'empty' }, text);
  }

  private card(view: ResultView, url: string, i: number): HTMLLIElement {
    const label = `Result ${i + 1}`;
    const sizeLabel = h('span', {}, '');
    const img = h('img', { src: url, alt: label, loading: 'lazy' });
    img.addEventListener('load', () => (sizeLabel.textContent = sizeText({ width: img.naturalWidth, height: img.naturalHeight })));
    const open = () => this.compare.open({ src: url, label }, view.inputs);
    const taskPart = view.task.task_id.slice(0, 8);
    const action = (text: string, name: 'compare' | 'input', run: () => void) =>
      h('button', { type: 'button', class: 'small', onclick: run }, icon(name), text);
    return h(
      'li',
      { class: 'result-card' },
      h('button', { type: 'button', class: 'result-image', 'aria-label': view.inputs.length > 0 ? `Compare ${label.toLowerCase()} with the input` : `View ${label.toLowerCase()}`, onclick: open }, img),
      h('p', { class: 'result-meta' }, sizeLabel, view.seed !== null ? h('span', {}, `seed ${view.seed + i}`) : null),
      h(
        'div',
        { class: 'result-actions' },
        action(view.inputs.length > 0 ? 'Compare' : 'View', 'compare', open),
        h('a', { class: 'button small', href: url, download: `qwen-${taskPart}-${i + 1}.png` }, icon('download'), 'Download'),
        action('Use as input', 'input', () => void this.reuse(url, i)),
        h('a', { class: 'button small', href: url, target: '_blank', rel: 'noopener', 'aria-label': `Open ${label.toLowerCase()} in a new tab` }, icon('open'), 'Open'),
      ),
    );
  }

  private async reuse(url: string, i: number): Promise<void> {
    try {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      this.useAsInput(await response.blob(), `result-${i + 1}.png`);
      byId('images-field', HTMLFieldSetElement).scrollIntoView({ behavior: 'smooth', block: 'center' });
    } catch (error) {
      this.announce(`Could not fetch result ${i + 1}: ${String(error)}`);
    }
  }
}
