/**
 * The size control: the model's default (shown as the size it will be), its fixed sizes, handy
 * ratios, or a custom width × height — always with the rounded result the server will use,
 * computed by the same rules the server applies (src/domain/size.ts).
 */
import type { Size } from '../../../src/domain/models.js';
import { applySizeRule, areaSize, defaultSize } from '../../../src/domain/size.js';
import { byId, h, setChildren } from '../lib/dom.js';
import { sizeText } from '../lib/format.js';
import type { SizeSpec } from '../lib/types.js';

const RATIOS: ReadonlyArray<[string, number, number]> = [
  ['1:1', 1, 1],
  ['4:3', 4, 3],
  ['3:4', 3, 4],
  ['3:2', 3, 2],
  ['2:3', 2, 3],
  ['16:9', 16, 9],
  ['9:16', 9, 16],
];

function ratioOf(size: Size): string {
  const known = RATIOS.find(([, w, h]) => Math.abs(size.width / size.height - w / h) < 0.02);
  return known ? known[0] : (size.width / size.height).toFixed(2);
}

const key = (size: Size) => `${size.width}*${size.height}`;

export interface LastImage {
  index: number;
  size: Size | null;
}

export class SizeControl {
  private readonly mode = byId('size-mode', HTMLSelectElement);
  private readonly custom = byId('size-custom', HTMLDivElement);
  private readonly width = byId('size-w', HTMLInputElement);
  private readonly height = byId('size-h', HTMLInputElement);
  private readonly preview = byId('size-preview', HTMLOutputElement);
  private spec: SizeSpec | null = null;
  private last: LastImage | null = null;

  constructor(private readonly onChange: () => void) {
    this.mode.addEventListener('change', () => {
      if (this.mode.value === 'custom' && this.width.value === '') this.prefillCustom();
      this.refresh();
      this.onChange();
    });
    for (const input of [this.width, this.height]) {
      input.addEventListener('input', () => {
        this.refresh();
        this.onChange();
      });
    }
  }

  /** A new model or new images: rebuild the choices, keeping the current one when it still exists. */
  update(spec: SizeSpec | null, last: LastImage | null): void {
    const changed = JSON.stringify(spec) !== JSON.stringify(this.spec);
    this.spec = spec;
    this.last = last;
    if (changed) this.renderOptions();
    this.refresh();
  }

  /** `W*H` as typed or chosen, or null for the model's default. */
  value(): string | null {
    const mode = this.mode.value;
    if (mode === 'default' || this.spec === null || this.spec.rule.kind === 'none') return null;
    if (mode === 'custom') return `${this.width.value.trim()}*${this.height.value.trim()}`;
    return mode;
  }

  private renderOptions(): void {
    const previous = this.mode.value;
    const rule = this.spec?.rule;
    const options: HTMLOptionElement[] = [h('option', { value: 'default' }, this.defaultLabel())];
    if (rule?.kind === 'fixed') {
      for (const size of rule.sizes) options.push(h('option', { value: key(size) }, `${sizeText(size)} (${ratioOf(size)})`));
    } else if (rule?.kind === 'sides' || rule?.kind === 'total') {
      for (const [name, w, hgt] of RATIOS) {
        const size = areaSize({ width: w, height: hgt }, 1024 * 1024);
        options.push(h('option', { value: key(size) }, `${name} · ${sizeText(size)}`));
      }
      options.push(h('option', { value: 'custom' }, 'Custom…'));
    }
    setChildren(this.mode, ...options);
    this.mode.value = options.some((option) => option.value === previous) ? previous : 'default';
    this.mode.disabled = rule === undefined || rule.kind === 'none';
    if (rule?.kind === 'sides') {
      for (const input of [this.width, this.height]) Object.assign(input, { min: String(rule.min), max: String(rule.max) });
    } else {
      for (const input of [this.width, this.height]) Object.assign(input, { min: '1', max: '4096' });
    }
  }

  private defaultLabel(): string {
    const spec = this.spec;
    if (spec === null) return 'Default';
    switch (spec.default.kind) {
      case 'fixed':
        return `Default · ${sizeText(spec.default.size)}`;
      case 'last-image-area':
        return `Default · follows the last image at ~${Math.round(spec.default.pixels / 1e6)} MP`;
      case 'last-image-native':
        return 'Default · the last image’s own size';
    }
  }

  private defaultSize(): Size | null {
    const spec = this.spec;
    if (spec === null) return null;
    if (spec.default.kind !== 'fixed' && !this.last?.size) return null;
    return defaultSize(spec.default, spec.rule, this.last?.size ?? undefined);
  }

  private prefillCustom(): void {
    const size = this.defaultSize() ?? { width: 1024, height: 1024 };
    this.width.value = String(size.width);
    this.height.value = String(size.height);
  }

  private say(text: string, state: 'ok' | 'warn' | 'info'): void {
    this.preview.textContent = text;
    this.preview.dataset.state = state;
  }

  private refresh(): void {
    const custom = this.mode.value === 'custom';
    this.custom.hidden = !custom;
    const spec = this.spec;
    if (spec === null) return this.say('', 'info');
    if (this.mode.value === 'default') {
      const size = this.defaultSize();
      if (size === null) return this.say('Follows the last input image: add one to see the size.', 'info');
      const from = spec.default.kind === 'fixed' || !this.last?.size ? '' : ` — follows image ${this.last.index + 1} (${sizeText(this.last.size)}, ${ratioOf(this.last.size)})`;
      return this.say(`→ ${sizeText(size)}${from}`, 'ok');
    }
    if (!custom) return this.say(`→ ${this.mode.value.replace('*', ' × ')}`, 'ok');
    const width = Number(this.width.value);
    const height = Number(this.height.value);
    if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) return this.say('Enter a whole width and height in pixels.', 'warn');
    try {
      const size = applySizeRule({ width, height }, spec.rule, 'size', '');
      const rounded = size.width !== width || size.height !== height;
      return this.say(`→ ${sizeText(size)}${rounded ? ' (rounded to multiples of 16)' : ''}`, 'ok');
    } catch (error) {
      // "size: W*H is not allowed for model X: <the rule>." → the rule.
      const message = error instanceof Error ? error.message : String(error);
      return this.say(`Out of range: ${message.slice(message.lastIndexOf(': ') + 2)}`, 'warn');
    }
  }
}
