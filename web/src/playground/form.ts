/** The playground form: the model drives the other controls; errors land next to their field. */
import { byId, h, setChildren } from '../lib/dom.js';
import { costLine, money } from '../lib/format.js';
import type { Catalog, CatalogModel, NegativePreset } from '../lib/types.js';
import { EngineNotice } from './engine-notice.js';
import { fieldTarget, plainMessage, type FieldId } from './field-map.js';
import { ImageList } from './images.js';
import { Options } from './options.js';
import { SizeControl } from './size.js';
import { kindOf, sizeSpecOf, type FormValues } from './values.js';

const MODEL_KEY = 'qig.playground.model';

/** The control that takes focus when its field is in error. */
const FOCUS: Readonly<Record<FieldId, string>> = {
  model: 'model',
  images: 'pick-files',
  prompt: 'prompt',
  negative: 'negative',
  n: 'n',
  size: 'size-mode',
  seed: 'seed',
  'prompt-extend': 'prompt-extend',
  watermark: 'watermark',
  'api-key': 'api-key',
};

export class PlaygroundForm {
  readonly images: ImageList;
  readonly options: Options;
  private readonly size: SizeControl;
  private readonly select = byId('model', HTMLSelectElement);
  private readonly models: Map<string, CatalogModel>;
  private readonly notice: EngineNotice;

  constructor(
    private readonly catalog: Catalog,
    announce: (text: string) => void,
  ) {
    this.models = new Map(catalog.data.map((model) => [model.id, model]));
    this.notice = new EngineNotice(catalog.builtInEngine);
    this.images = new ImageList(() => this.refresh(), announce);
    this.options = new Options(() => this.refresh());
    this.size = new SizeControl(() => this.refresh());
    this.renderModels();
    this.select.addEventListener('change', () => {
      localStorage.setItem(MODEL_KEY, this.select.value);
      this.applyModel();
    });
    // An error stays until its field is changed.
    byId('form', HTMLFormElement).addEventListener('input', (event) => {
      if (!(event.target instanceof HTMLElement)) return;
      const field = event.target.id.startsWith('size') ? 'size' : event.target.id;
      const error = document.getElementById(`${field}-error`);
      if (error) error.textContent = '';
      event.target.removeAttribute('aria-invalid');
    });
    this.applyModel();
  }

  get model(): CatalogModel {
    const model = this.models.get(this.select.value) ?? this.catalog.data[0];
    if (!model) throw new Error('the model catalog is empty');
    return model;
  }

  setPresets(presets: readonly NegativePreset[]): void {
    this.options.setPresets(presets);
  }

  values(): FormValues {
    const { n, promptExtend, watermark, prompt, negative } = this.options;
    return {
      model: this.model,
      images: this.images.images.map(({ name, url, contentType, size }) => ({ name, url, contentType, size })),
      prompt: prompt.value,
      negativePrompt: negative.value,
      n: n.value.trim() === '' ? null : Number(n.value),
      size: this.size.value(),
      seed: this.options.seed.value.trim() === '' ? null : Number(this.options.seed.value),
      promptExtend: promptExtend.checked,
      watermark: watermark.checked,
    };
  }

  /** Shows an API error beside its field; false when it names no field of the form. */
  showApiError(error: { code: string; message: string; field: string | null }): boolean {
    const target = fieldTarget(error.field, error.code, error.message);
    if (!target) return false;
    const text = plainMessage(error.message);
    if (target.field === 'images') this.images.setError(text, target.image);
    else this.setFieldError(target.field, text);
    document.getElementById(FOCUS[target.field])?.focus({ preventScroll: true });
    // Centred: scrolled only as far as the control, the error under it would sit beneath the sticky Run bar.
    const shown = target.image === undefined ? null : document.getElementById(`image-error-${target.image}`);
    (shown ?? document.getElementById(`${target.field}-error`))?.scrollIntoView({ block: 'center' });
    return true;
  }

  setFieldError(field: FieldId, text: string): void {
    const error = document.getElementById(`${field}-error`);
    if (error) error.textContent = text;
    document.getElementById(field)?.setAttribute('aria-invalid', 'true');
  }

  clearErrors(): void {
    for (const element of document.querySelectorAll('#form .field-error, #key-panel .field-error')) element.textContent = '';
    for (const element of document.querySelectorAll('[aria-invalid]')) element.removeAttribute('aria-invalid');
    this.images.clearErrors();
  }

  private renderModels(): void {
    const groups: Array<[string, (model: CatalogModel) => boolean]> = [
      ['Edit images', (m) => m.edit && !m.generate],
      ['Generate and edit', (m) => m.edit && m.generate],
      ['Generate from text', (m) => !m.edit && m.generate],
    ];
    setChildren(
      this.select,
      ...groups.map(([label, test]) =>
        h('optgroup', { label }, ...this.catalog.data.filter(test).map((model) => h('option', { value: model.id }, model.id))),
      ),
    );
    const saved = localStorage.getItem(MODEL_KEY);
    this.select.value = saved && this.models.has(saved) ? saved : (this.models.has('qwen-image-edit-plus') ? 'qwen-image-edit-plus' : (this.catalog.data[0]?.id ?? ''));
  }

  private applyModel(): void {
    const model = this.model;
    const facts = [
      model.edit ? `${model.generate ? '0' : '1'}–${model.maxImages} input images` : 'text only',
      model.maxN > 1 ? `1–${model.maxN} outputs` : '1 output',
      `${money(model.price.perImage, model.price.currency)} per image`,
    ];
    setChildren(byId('model-help', HTMLParagraphElement), model.description, h('span', { class: 'facts' }, ...facts.map((fact) => h('span', { class: 'tag' }, fact))));
    this.notice.show(model);
    this.images.setMax(model.maxImages, model.id);
    this.options.applyModel(model);
    this.refresh();
  }

  /** Everything that follows from the model, the images and the options. */
  private refresh(): void {
    const model = this.model;
    const images = this.images.images;
    const lastIndex = images.length - 1;
    const last = images[lastIndex];
    this.size.update(sizeSpecOf(model, images.length), last ? { index: lastIndex, size: last.size } : null);
    const n = Number(this.options.n.value) || 1;
    byId('cost', HTMLParagraphElement).textContent = `Cost: at most ${costLine(n, model.price.perImage, model.price.currency)} (only the images made are billed)`;
    byId('submit', HTMLButtonElement).textContent = kindOf(model, images.length) === 'edit' ? 'Edit image' : 'Generate';
    byId('size-help', HTMLParagraphElement).textContent =
      model.edit && images.length === 0 && !model.generate ? 'Add an image: the default size follows the last one.' : '';
  }
}
