/** A result beside its input: a slider over both, or the two side by side. */
import { byId, h, setChildren } from '../lib/dom.js';

export interface ComparePicture {
  src: string;
  label: string;
}

type Mode = 'slider' | 'side';

export class CompareDialog {
  private readonly dialog = byId('compare-dialog', HTMLDialogElement);
  private readonly body = byId('compare-body', HTMLDivElement);
  private readonly inputsBox = byId('compare-inputs', HTMLDivElement);
  private mode: Mode = 'slider';
  private result: ComparePicture = { src: '', label: '' };
  private inputs: readonly ComparePicture[] = [];
  private inputIndex = 0;

  constructor() {
    byId('compare-close', HTMLButtonElement).addEventListener('click', () => this.dialog.close());
    this.dialog.addEventListener('click', (event) => {
      if (event.target === this.dialog) this.dialog.close();
    });
    for (const button of this.dialog.querySelectorAll<HTMLButtonElement>('[data-mode]')) {
      button.addEventListener('click', () => {
        this.mode = button.dataset.mode === 'side' ? 'side' : 'slider';
        this.render();
      });
    }
  }

  open(result: ComparePicture, inputs: readonly ComparePicture[]): void {
    this.result = result;
    this.inputs = inputs;
    this.inputIndex = 0;
    byId('compare-title', HTMLHeadingElement).textContent = inputs.length > 0 ? `${result.label} and its input` : result.label;
    this.render();
    this.dialog.showModal();
  }

  private render(): void {
    for (const button of this.dialog.querySelectorAll<HTMLButtonElement>('[data-mode]')) {
      button.setAttribute('aria-pressed', String(button.dataset.mode === this.mode));
      button.disabled = this.inputs.length === 0;
    }
    setChildren(
      this.inputsBox,
      ...(this.inputs.length > 1
        ? this.inputs.map((input, i) => {
            const choose = () => {
              this.inputIndex = i;
              this.render();
            };
            return h('button', { type: 'button', 'aria-pressed': String(i === this.inputIndex), onclick: choose }, input.label);
          })
        : []),
    );
    const input = this.inputs[this.inputIndex];
    if (!input) return setChildren(this.body, h('img', { class: 'compare-single', src: this.result.src, alt: this.result.label }));
    if (this.mode === 'side') {
      return setChildren(
        this.body,
        h(
          'div',
          { class: 'side-by-side' },
          h('figure', {}, h('img', { src: input.src, alt: input.label }), h('figcaption', {}, input.label)),
          h('figure', {}, h('img', { src: this.result.src, alt: this.result.label }), h('figcaption', {}, this.result.label)),
        ),
      );
    }
    this.renderSlider(input);
  }

  private renderSlider(input: ComparePicture): void {
    const after = h('img', { class: 'slider-after', src: this.result.src, alt: this.result.label });
    const range = h('input', { type: 'range', min: 0, max: 100, value: 50, 'aria-label': 'Reveal: input on the left, result on the right' });
    const frame = h(
      'div',
      { class: 'slider' },
      h('img', { class: 'slider-before', src: input.src, alt: input.label }),
      after,
      h('span', { class: 'slider-line', 'aria-hidden': 'true' }),
      h('span', { class: 'slider-tag left', 'aria-hidden': 'true' }, input.label),
      h('span', { class: 'slider-tag right', 'aria-hidden': 'true' }, this.result.label),
    );
    const set = (percent: number) => {
      frame.style.setProperty('--pos', `${percent}%`);
      range.value = String(Math.round(percent));
    };
    after.addEventListener('load', () => frame.style.setProperty('--ratio', String(after.naturalWidth / after.naturalHeight)));
    range.addEventListener('input', () => set(Number(range.value)));
    const follow = (event: PointerEvent) => {
      const box = frame.getBoundingClientRect();
      set(Math.min(100, Math.max(0, ((event.clientX - box.left) / box.width) * 100)));
    };
    frame.addEventListener('pointerdown', (event) => {
      frame.setPointerCapture(event.pointerId);
      follow(event);
    });
    frame.addEventListener('pointermove', (event) => {
      if (frame.hasPointerCapture(event.pointerId)) follow(event);
    });
    set(50);
    setChildren(this.body, frame, range);
  }
}
