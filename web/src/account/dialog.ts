/** The account page's modal form: confirmations and the key limits editor. */
import { openModalForm, type DialogOptions } from '../lib/dialog.js';
import { explain } from './client.js';

export type { DialogOptions };

export function openDialog(options: DialogOptions): void {
  openModalForm({ dialogId: 'account-dialog', titleId: 'account-dialog-title', explain, errorId: 'dialog-error', formClass: 'dialog-form' }, options);
}
