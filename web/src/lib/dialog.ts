/** One modal form per page, for confirmations and small inputs: a refusal is shown in it, and it stays open. */
import { byId, h, setChildren, type Child } from './dom.js';

export interface DialogOptions {
  title: string;
  content: Child[];
  action: string;
  danger?: boolean;
  /** Runs on submit; a thrown error is shown in the dialog, which stays open. */
  submit: (form: HTMLFormElement) => Promise<void>;
}

/** The page's `<dialog>` (its id, and the id its title gets), and how a failure reads. */
export interface DialogHost {
  dialogId: string;
  titleId: string;
  explain: (failure: unknown) => string;
  /** An id for the error line, and a class for the form, where the page styles or tests them. */
  errorId?: string;
  formClass?: string;
}

export function openModalForm(host: DialogHost, options: DialogOptions): void {
  const dialog = byId(host.dialogId, HTMLDialogElement);
  const error = h('p', { ...(host.errorId ? { id: host.errorId } : {}), class: 'field-error', role: 'alert' });
  const actionButton = h('button', { type: 'submit', class: options.danger ? 'primary danger-fill' : 'primary' }, options.action);
  const form = h(
    'form',
    { method: 'dialog', ...(host.formClass ? { class: host.formClass } : {}) },
    h('h2', { id: host.titleId }, options.title),
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
        error.textContent = host.explain(failure);
        actionButton.disabled = false;
      },
    );
  });
  setChildren(dialog, form);
  dialog.showModal();
  form.querySelector<HTMLElement>('input, button[type="submit"]')?.focus();
}
