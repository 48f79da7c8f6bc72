/** The parameters beside the images: n, seed (dice and lock), switches, negative-prompt presets, counters. */
import { byId, h, icon, setChildren } from '../lib/dom.js';
import type { CatalogModel, NegativePreset } from '../lib/types.js';

const MAX_SEED = 2147483647;

export function randomSeed(): number {
  const value = new Uint32Array(1);
  crypto.getRandomValues(value);
  return (value[0] ?? 0) % (MAX_SEED + 1);
}

export class Options {
  readonly n = byId('n', HTMLInputElement);
  readonly seed = byId('seed', HTMLInputElement);
  readonly promptExtend = byId('prompt-extend', HTMLInputElement);
  readonly watermark = byId('watermark', HTMLInputElement);
  readonly prompt = byId('prompt', HTMLTextAreaElement);
  readonly negative = byId('negative', HTMLTextAreaElement);
  private readonly lock = byId('seed-lock', HTMLButtonElement);
  private readonly presetBox = byId('presets', HTMLDivElement);
  private presets: readonly NegativePreset[] = [];
  private language: 'en' | 'zh' = 'en';

  constructor(private readonly onChange: () => void) {
    this.seed.value = String(randomSeed());
    this.setLocked(false);
    byId('seed-dice', HTMLButtonElement).addEventListener('click', () => {
      this.seed.value = String(randomSeed());
      this.onChange();
    });
    this.lock.addEventListener('click', () => this.setLocked(this.lock.getAttribute('aria-pressed') !== 'true'));
    // Typing a seed means wanting that seed.
    this.seed.addEventListener('input', () => this.setLocked(true));
    for (const element of [this.n, this.seed, this.promptExtend, this.watermark, this.prompt, this.negative]) {
      element.addEventListener('input', () => {
        if (element === this.negative) this.renderPresets();
        this.counters();
        this.onChange();
      });
    }
  }

  get locked(): boolean {
    return this.lock.getAttribute('aria-pressed') === 'true';
  }

  /** Called before each run: an unlocked seed is rolled anew, so every run is reproducible. */
  seedForRun(): number | null {
    if (!this.locked) this.seed.value = String(randomSeed());
    return this.seed.value.trim() === '' ? null : Number(this.seed.value);
  }

  applyModel(model: CatalogModel): void {
    this.n.max = String(model.maxN);
    if (model.maxN === 1) this.n.value = '1';
    this.n.disabled = model.maxN === 1;
    byId('n-help', HTMLParagraphElement).textContent = model.maxN === 1 ? 'This model makes one image per request.' : `1 to ${model.maxN} images.`;
    this.promptExtend.disabled = !model.promptExtend;
    byId('prompt-extend-help', HTMLSpanElement).textContent = model.promptExtend ? 'The model rewrites the prompt in more detail first.' : 'Not offered by this model.';
    this.counters(model);
  }

  setPresets(presets: readonly NegativePreset[]): void {
    this.presets = presets;
    byId('presets-row', HTMLDivElement).hidden = presets.length === 0;
    this.renderPresets();
  }

  private setLocked(locked: boolean): void {
    this.lock.setAttribute('aria-pressed', String(locked));
    setChildren(this.lock, icon(locked ? 'lock' : 'unlock'));
    this.lock.title = locked ? 'Seed locked: click for a new seed each run' : 'Lock this seed for every run';
    byId('seed-help', HTMLParagraphElement).textContent = locked ? 'Every run uses this seed.' : 'A new random seed for each run.';
  }

  private renderPresets(): void {
    const chips = this.presets.map((preset) => {
      const text = preset[this.language];
      return h(
        'button',
        {
          type: 'button',
          class: 'chip',
          'aria-pressed': String(this.negative.value === text),
          title: text,
          onclick: () => {
            this.negative.value = this.negative.value === text ? '' : text;
            this.renderPresets();
            this.counters();
            this.onChange();
          },
        },
        preset.label,
      );
    });
    const language = h(
      'button',
      {
        type: 'button',
        class: 'chip subtle',
        'aria-label': this.language === 'en' ? 'Use the Chinese presets' : 'Use the English presets',
        onclick: () => {
          this.language = this.language === 'en' ? 'zh' : 'en';
          this.renderPresets();
        },
      },
      this.language === 'en' ? '中文' : 'English',
    );
    setChildren(this.presetBox, ...chips, language);
  }

  private counters(model?: CatalogModel): void {
    const count = (text: string) => Array.from(text).length;
    const set = (id: string, used: number, max: number | undefined) => {
      const element = byId(id, HTMLSpanElement);
      if (max !== undefined) element.dataset.max = String(max);
      const limit = Number(element.dataset.max ?? '0');
      element.textContent = `${used} / ${limit}`;
      element.dataset.over = String(used > limit);
    };
    set('prompt-count', count(this.prompt.value), model?.maxPromptChars);
    set('negative-count', count(this.negative.value), model?.maxNegativePromptChars);
  }
}
