/** One modal form for the console's confirmations and small inputs (credit, revoke). */
import { byId, h, setChildren, type Child } from '../lib/dom.js';
import { explain } from './client.js';

export interface DialogOptions {
  title: string;
  content: Child[];
  action: string;
  danger?: boolean;
  /** Runs on submit; a thrown error is shown in the dialog, which stays open. */
  submit: (form: HTMLFormElement) => Promise<void>;
}

export function openDialog(options: DialogOptions): void {
  const dialog = byId('admin-dialog', HTMLDialogElement);
  const error = h('p', { class: 'field-error', role: 'alert' });
  const actionButton = h('button', { type: 'submit', class: options.danger ? 'primary danger-fill' : 'primary' }, options.action);
  const form = h(
    'form',
    { method: 'dialog' },
    h('h2', { id: 'admin-dialog-title' }, options.title),
    ...options.content,
    error,
    h('div', { class: 'dialog-foot end' }, h('button', { type: 'button', class: 'ghost', onclick: () => dialog.close() }, 'Cancel'), actionButton),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    actionButton.disabled = true;
    error.textContent = '';
    options.submit(form).then(
      () => dialog.close(),
      (failure: unknown) => {
        error.textContent = explain(failure);
        actionButton.disabled = false;
      },
    );
  });
  setChildren(dialog, form);
  dialog.showModal();
  form.querySelector<HTMLElement>('input, button[type="submit"]')?.focus();
}
