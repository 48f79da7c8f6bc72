/** The console's modal form (credit, revoke, edit…). */
import { openModalForm, type DialogOptions } from '../lib/dialog.js';
import { explain } from './client.js';

export type { DialogOptions };

export function openDialog(options: DialogOptions): void {
  openModalForm({ dialogId: 'admin-dialog', titleId: 'admin-dialog-title', explain }, options);
}
