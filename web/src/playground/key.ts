/** The API key, entered once and kept in this browser (localStorage), and the key's balance. */
import { ApiError, call } from '../lib/api.js';
import { byId } from '../lib/dom.js';
import { money } from '../lib/format.js';
import type { Balance } from '../lib/types.js';

const STORAGE_KEY = 'qig.apiKey';

export class KeyPanel {
  private readonly panel = byId('key-panel', HTMLElement);
  private readonly input = byId('api-key', HTMLInputElement);
  private readonly toggle = byId('key-button', HTMLButtonElement);
  private readonly balanceText = byId('balance', HTMLSpanElement);
  private readonly error = byId('api-key-error', HTMLParagraphElement);

  constructor(private readonly onSaved: () => void) {
    this.toggle.addEventListener('click', () => (this.panel.hidden ? this.open() : this.close()));
    byId('key-form', HTMLFormElement).addEventListener('submit', (event) => {
      event.preventDefault();
      void this.save();
    });
    byId('key-forget', HTMLButtonElement).addEventListener('click', () => {
      localStorage.removeItem(STORAGE_KEY);
      this.input.value = '';
      this.render();
      this.input.focus();
    });
    this.input.value = this.key ?? '';
    this.render();
    if (this.key === null) this.open(false);
  }

  get key(): string | null {
    return localStorage.getItem(STORAGE_KEY);
  }

  open(focus = true): void {
    this.panel.hidden = false;
    this.toggle.setAttribute('aria-expanded', 'true');
    if (focus) this.input.focus();
  }

  close(): void {
    this.panel.hidden = true;
    this.toggle.setAttribute('aria-expanded', 'false');
  }

  showError(message: string): void {
    this.open();
    this.error.textContent = message;
    this.input.setAttribute('aria-invalid', 'true');
  }

  /** Reads the key's balance into the header (and returns it); a refused key opens the panel saying so. */
  async refreshBalance(): Promise<string | null> {
    const key = this.key;
    if (key === null) return null;
    try {
      const balance = await call<Balance>('/v1/balance', { token: key });
      const amount = balance.balance === null ? 'unlimited' : money(balance.balance, balance.currency);
      const held = balance.held !== '0.00' ? ` (${money(balance.held, balance.currency)} held)` : '';
      this.balanceText.textContent = `${balance.name} · ${amount}${held}`;
      return amount;
    } catch (error) {
      this.balanceText.textContent = '';
      if (error instanceof ApiError && error.status === 401) this.showError(`This key was refused: ${error.message}`);
      return null;
    }
  }

  private async save(): Promise<void> {
    const key = this.input.value.trim();
    this.error.textContent = '';
    this.input.removeAttribute('aria-invalid');
    if (key === '') return this.showError('Paste an API key first.');
    try {
      await call<Balance>('/v1/balance', { token: key });
    } catch (error) {
      return this.showError(error instanceof ApiError ? `This key was refused: ${error.message}` : String(error));
    }
    localStorage.setItem(STORAGE_KEY, key);
    this.render();
    this.close();
    this.toggle.focus();
    await this.refreshBalance();
    this.onSaved();
  }

  private render(): void {
    this.toggle.textContent = this.key === null ? 'Set API key' : 'API key';
    this.toggle.dataset.state = this.key === null ? 'missing' : 'set';
    if (this.key === null) this.balanceText.textContent = '';
  }
}
