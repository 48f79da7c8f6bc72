/** "Show code": the current form as curl, openai, @fal-ai/client, SeaArt-queue, qig-client and qig code, ready to copy. */
import { byId, copyText, h, setChildren } from '../lib/dom.js';
import { snippets, type Snippet, type SnippetKind } from './snippets.js';
import type { FormValues } from './values.js';

export class CodeDialog {
  private readonly dialog = byId('code-dialog', HTMLDialogElement);
  private readonly tabs = byId('code-tabs', HTMLDivElement);
  private readonly code = byId('code-text', HTMLElement);
  private readonly note = byId('code-note', HTMLParagraphElement);
  private readonly includeKey = byId('code-key', HTMLInputElement);
  private current: SnippetKind = 'curl';
  private shown: Snippet[] = [];

  constructor(
    private readonly values: () => FormValues,
    private readonly key: () => string | null,
  ) {
    byId('show-code', HTMLButtonElement).addEventListener('click', () => this.open());
    byId('code-close', HTMLButtonElement).addEventListener('click', () => this.dialog.close());
    this.includeKey.addEventListener('change', () => this.render());
    const copy = byId('code-copy', HTMLButtonElement);
    copy.addEventListener('click', () => void copyText(this.code.textContent ?? '', copy));
    this.tabs.addEventListener('keydown', (event) => {
      const order = this.shown.map((s) => s.kind);
      const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
      if (step === 0) return;
      event.preventDefault();
      this.current = order[(order.indexOf(this.current) + step + order.length) % order.length] ?? 'curl';
      this.render();
      this.tabs.querySelector<HTMLButtonElement>('[aria-selected="true"]')?.focus();
    });
  }

  open(): void {
    this.render();
    this.dialog.showModal();
  }

  private render(): void {
    const values = this.values();
    this.shown = snippets(values, location.origin, this.includeKey.checked ? this.key() : null);
    setChildren(
      this.tabs,
      ...this.shown.map((snippet) =>
        h(
          'button',
          {
            type: 'button',
            role: 'tab',
            id: `tab-${snippet.kind}`,
            'aria-selected': String(snippet.kind === this.current),
            'aria-controls': 'code-panel',
            tabindex: snippet.kind === this.current ? 0 : -1,
            onclick: () => {
              this.current = snippet.kind;
              this.render();
            },
          },
          snippet.label,
        ),
      ),
    );
    byId('code-panel', HTMLDivElement).setAttribute('aria-labelledby', `tab-${this.current}`);
    this.code.textContent = this.shown.find((s) => s.kind === this.current)?.code ?? '';
    const files = values.images.filter((image) => image.url === null).map((image) => image.name);
    this.note.textContent = files.length > 0 ? `Local files are read from the current directory: put ${files.join(', ')} beside the script (or change the paths).` : '';
  }
}
