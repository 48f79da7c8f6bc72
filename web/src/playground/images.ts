/**
 * The input images: files dropped, pasted or chosen, and URLs, in order (图1, 图2, 图3). They can
 * be reordered by buttons or by dragging; the last one sets the output's aspect ratio.
 */
import type { Size } from '../../../src/domain/models.js';
import { byId, h, icon, setChildren } from '../lib/dom.js';
import { bytes, sizeText } from '../lib/format.js';
import type { FormImage } from './values.js';

export interface InputImage extends FormImage {
  id: number;
  blob: Blob | null;
  /** What <img> shows: an object URL for files, the URL itself otherwise. */
  preview: string;
  bytes: number | null;
}

const MAX_BYTES = 10 * 1024 * 1024;
const REORDER_TYPE = 'application/x-qig-image-index';

function probe(src: string): Promise<Size | null> {
  return new Promise((resolve) => {
    const image = new Image();
    image.onload = () => resolve(image.naturalWidth > 0 ? { width: image.naturalWidth, height: image.naturalHeight } : null);
    image.onerror = () => resolve(null);
    image.src = src;
  });
}

function readDataUri(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error('cannot read the file'));
    reader.readAsDataURL(blob);
  });
}

export class ImageList {
  private items: InputImage[] = [];
  /** Images the current model cannot take, kept for the next model that can. */
  private aside: InputImage[] = [];
  private nextId = 1;
  private max = 3;
  private readonly list = byId('image-list', HTMLOListElement);
  private readonly fieldset = byId('images-field', HTMLFieldSetElement);
  private readonly fileInput = byId('files', HTMLInputElement);
  private readonly urlInput = byId('image-url', HTMLInputElement);
  private readonly error = byId('images-error', HTMLParagraphElement);
  private readonly asideNote = byId('images-aside', HTMLDivElement);

  constructor(
    private readonly onChange: () => void,
    private readonly announce: (text: string) => void,
  ) {
    byId('pick-files', HTMLButtonElement).addEventListener('click', () => this.fileInput.click());
    this.fileInput.addEventListener('change', () => {
      this.addFiles([...(this.fileInput.files ?? [])]);
      this.fileInput.value = '';
    });
    byId('add-url', HTMLButtonElement).addEventListener('click', () => this.addUrlFromInput());
    this.urlInput.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') {
        event.preventDefault();
        this.addUrlFromInput();
      }
    });
    this.fieldset.addEventListener('dragover', (event) => {
      if (!event.dataTransfer?.types.includes('Files')) return;
      event.preventDefault();
      this.fieldset.classList.add('dragging');
    });
    this.fieldset.addEventListener('dragleave', () => this.fieldset.classList.remove('dragging'));
    this.fieldset.addEventListener('drop', (event) => {
      this.fieldset.classList.remove('dragging');
      if (!event.dataTransfer?.types.includes('Files')) return;
      event.preventDefault();
      this.addFiles([...event.dataTransfer.files]);
    });
    document.addEventListener('paste', (event) => {
      const files = [...(event.clipboardData?.files ?? [])].filter((file) => file.type.startsWith('image/'));
      if (files.length === 0 || this.max === 0) return;
      event.preventDefault();
      this.addFiles(files);
    });
  }

  get images(): readonly InputImage[] {
    return this.items;
  }

  /**
   * How many images the model takes; 0 for text-to-image models. Images beyond it are set aside
   * (a text-to-image model given an image would run an edit instead), and come back when a model
   * that takes them is picked.
   */
  setMax(max: number, model: string): void {
    this.max = max;
    if (this.items.length > max) {
      this.aside.push(...this.items.splice(max));
      const count = this.aside.length === 1 ? '1 image' : `${this.aside.length} images`;
      const why = max === 0 ? `${model} makes images from text only` : `${model} takes at most ${max}`;
      this.say(`${count} set aside: ${why}. They come back when you pick a model that takes them.`, true);
    } else if (this.aside.length > 0 && this.items.length < max) {
      const back = this.aside.splice(0, max - this.items.length);
      this.items.push(...back);
      this.say(`${back.length === 1 ? 'The image' : `${back.length} images`} set aside earlier ${back.length === 1 ? 'is' : 'are'} back.${this.aside.length > 0 ? ` ${this.aside.length} still set aside.` : ''}`, this.aside.length > 0);
    }
    this.render();
  }

  addFiles(files: readonly File[]): void {
    for (const file of files) this.addBlob(file, file.name || 'pasted-image.png');
  }

  addBlob(blob: Blob, name: string): void {
    if (!this.roomFor(name)) return;
    if (blob.size > MAX_BYTES) {
      this.setError(`${name} is ${bytes(blob.size)}; each image may be at most 10 MB.`);
      return;
    }
    const preview = URL.createObjectURL(blob);
    this.push({ name, url: null, contentType: blob.type || 'image/png', size: null, id: this.nextId++, blob, preview, bytes: blob.size });
  }

  addUrl(url: string): void {
    if (!this.roomFor(url)) return;
    this.push({ name: url, url, contentType: 'image/png', size: null, id: this.nextId++, blob: null, preview: url, bytes: null });
  }

  /** What the request sends: data URIs for files, the URLs as given. */
  refs(): Promise<string[]> {
    return Promise.all(this.items.map((item) => (item.blob ? readDataUri(item.blob) : Promise.resolve(item.url ?? ''))));
  }

  setError(message: string, index?: number): void {
    const target = index === undefined ? this.error : document.getElementById(`image-error-${index}`);
    (target ?? this.error).textContent = message;
    this.fieldset.setAttribute('aria-invalid', 'true');
  }

  clearErrors(): void {
    this.error.textContent = '';
    for (const element of this.list.querySelectorAll('.field-error')) element.textContent = '';
    this.fieldset.removeAttribute('aria-invalid');
  }

  /** Says what happened to the images set aside, with a way to drop them while some are. */
  private say(text: string, discardable: boolean): void {
    const discard = () => {
      this.aside = [];
      this.asideNote.hidden = true;
      this.announce('The images set aside were discarded.');
    };
    setChildren(this.asideNote, h('span', {}, text), discardable ? h('button', { type: 'button', class: 'small ghost', onclick: discard }, 'Discard them') : null);
    this.asideNote.hidden = false;
    this.announce(text);
  }

  private addUrlFromInput(): void {
    const url = this.urlInput.value.trim();
    if (!/^(https?:\/\/|data:image\/)/i.test(url)) {
      this.setError('Give an http(s) URL or a data:image/… URI.');
      this.urlInput.focus();
      return;
    }
    this.urlInput.value = '';
    this.addUrl(url);
  }

  private roomFor(name: string): boolean {
    if (this.items.length < this.max) return true;
    this.setError(this.max === 0 ? 'This model makes images from text only; pick an edit model to use images.' : `At most ${this.max} images: ${name} was not added.`);
    return false;
  }

  private push(item: InputImage): void {
    this.clearErrors();
    this.items.push(item);
    this.changed();
    this.announce(`Added image ${this.items.length}: ${item.name}`);
    void probe(item.preview).then((size) => {
      item.size = size;
      this.changed();
    });
  }

  private move(index: number, to: number, focusAction?: string): void {
    const [item] = this.items.splice(index, 1);
    if (!item) return;
    this.items.splice(to, 0, item);
    this.changed();
    this.announce(`${item.name} is now image ${to + 1}`);
    if (focusAction) this.list.querySelector<HTMLButtonElement>(`button[data-action="${focusAction}"][data-index="${to}"]`)?.focus();
  }

  private remove(index: number): void {
    const [item] = this.items.splice(index, 1);
    if (!item) return;
    this.changed();
    this.announce(`Removed ${item.name}`);
    (this.list.querySelector<HTMLButtonElement>(`button[data-action="remove"][data-index="${Math.min(index, this.items.length - 1)}"]`) ?? byId('pick-files', HTMLButtonElement)).focus();
  }

  private changed(): void {
    this.render();
    this.onChange();
  }

  private render(): void {
    this.fieldset.classList.toggle('no-images', this.max === 0);
    byId('images-count', HTMLSpanElement).textContent = this.max === 0 ? 'none for this model' : `${this.items.length} of ${this.max}`;
    setChildren(this.list, ...this.items.map((item, i) => this.renderItem(item, i)));
  }

  private renderItem(item: InputImage, i: number): HTMLLIElement {
    const last = i === this.items.length - 1;
    const button = (action: string, label: string, name: 'left' | 'right' | 'close', run: () => void, disabled = false) =>
      h('button', { type: 'button', class: 'icon-button', 'data-action': action, 'data-index': i, 'aria-label': label, title: label, disabled, onclick: run }, icon(name));
    const meta = [item.size ? sizeText(item.size) : null, item.bytes !== null ? bytes(item.bytes) : null].filter(Boolean).join(' · ');
    const li = h(
      'li',
      { class: 'thumb', draggable: 'true' },
      h('div', { class: 'thumb-frame' }, h('img', { src: item.preview, alt: `Image ${i + 1}: ${item.name}`, draggable: 'false' })),
      h(
        'div',
        { class: 'thumb-info' },
        h('span', { class: 'thumb-title' }, `Image ${i + 1} `, h('span', { lang: 'zh', class: 'muted' }, `图${i + 1}`)),
        last ? h('span', { class: 'tag accent', title: 'The output follows the last image’s aspect ratio' }, 'sets aspect ratio') : null,
        h('span', { class: 'thumb-meta' }, meta),
        h('span', { class: 'thumb-name', title: item.name }, item.name),
      ),
      h(
        'div',
        { class: 'thumb-actions' },
        button('left', `Move image ${i + 1} earlier`, 'left', () => this.move(i, i - 1, 'left'), i === 0),
        button('right', `Move image ${i + 1} later`, 'right', () => this.move(i, i + 1, 'right'), last),
        button('remove', `Remove image ${i + 1}`, 'close', () => this.remove(i)),
      ),
      h('p', { class: 'field-error', id: `image-error-${i}`, 'aria-live': 'polite' }),
    );
    li.addEventListener('dragstart', (event) => event.dataTransfer?.setData(REORDER_TYPE, String(i)));
    li.addEventListener('dragover', (event) => {
      if (event.dataTransfer?.types.includes(REORDER_TYPE)) event.preventDefault();
    });
    li.addEventListener('drop', (event) => {
      const from = event.dataTransfer?.getData(REORDER_TYPE);
      if (from === undefined || from === '') return;
      event.preventDefault();
      event.stopPropagation();
      this.move(Number(from), i);
    });
    return li;
  }
}
