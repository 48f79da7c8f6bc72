/** Redeeming a top-up code: the amount credited and the new balance, or the server's reason for refusing. */
import { byId } from '../lib/dom.js';
import { money } from '../lib/format.js';
import { accountCall, explain } from './client.js';
import type { Redeemed } from './types.js';

export class RedeemSection {
  private readonly form = byId('redeem-form', HTMLFormElement);
  private readonly input = byId('redeem-code', HTMLInputElement);
  private readonly error = byId('redeem-error', HTMLParagraphElement);
  private readonly result = byId('redeem-result', HTMLParagraphElement);

  /** `redeemed` runs after a credit, to show the new balance everywhere. */
  constructor(private readonly redeemed: () => void) {
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.redeem();
    });
  }

  private async redeem(): Promise<void> {
    this.error.textContent = '';
    this.result.textContent = '';
    this.input.removeAttribute('aria-invalid');
    const code = this.input.value.trim();
    if (code === '') {
      this.error.textContent = 'Enter a code.';
      this.input.focus();
      return;
    }
    const button = this.form.querySelector('button');
    if (button) button.disabled = true;
    try {
      const answer = await accountCall<Redeemed>('/v1/redeem', { body: { code } });
      this.input.value = '';
      this.result.textContent = `${money(answer.credited, answer.currency)} added. Your balance is now ${money(answer.balance, answer.currency)}.`;
      this.redeemed();
    } catch (error) {
      this.error.textContent = explain(error);
      this.input.setAttribute('aria-invalid', 'true');
      this.input.focus();
    } finally {
      if (button) button.disabled = false;
    }
  }

  reset(): void {
    this.form.reset();
    this.error.textContent = '';
    this.result.textContent = '';
  }
}
