/**
 * The self-service account page: sign in with one of your API keys (kept for this tab), then the
 * balance, group, limits and budgets; spend by day and model; the keys; recent tasks; the ledger;
 * redeeming a code.
 */
import '../base.css';
import '../controls.css';
import '../components.css';
// The console's form grid, stats, secret box and pager, shared rather than copied.
import '../admin/admin.css';
import './account.css';
import { byId } from '../lib/dom.js';
import { accountCall, accountKey, explain, whenRefused } from './client.js';
import { KeysSection } from './keys.js';
import { LedgerSection } from './ledger.js';
import { renderOverview } from './overview.js';
import { RedeemSection } from './redeem.js';
import { SpendSection } from './spend.js';
import { TasksSection } from './tasks.js';
import type { Account } from './types.js';

const gate = byId('gate', HTMLElement);
const dashboard = byId('dashboard', HTMLDivElement);
const keyInput = byId('api-key', HTMLInputElement);
const keyError = byId('api-key-error', HTMLParagraphElement);
const pageError = byId('page-error', HTMLParagraphElement);
const signOutButton = byId('sign-out', HTMLButtonElement);

let account: Account | null = null;

const spend = new SpendSection();
const ledger = new LedgerSection((error) => (pageError.textContent = explain(error)));
const keys = new KeysSection({
  currency: () => account?.currency ?? 'CNY',
  currentKeyId: () => account?.key.id ?? null,
  restricted: () => account?.key.restricted ?? false,
  changed: (revokedCurrent) => (revokedCurrent ? signOut('The key this page was signed in with is revoked. Sign in with another.') : void refreshOverview()),
});
const tasks = new TasksSection((keyId) => keys.nameOf(keyId));
const redeem = new RedeemSection(() => void Promise.all([refreshOverview(), guarded(ledger.load())]));

/** Runs a section's load, showing its failure above the sections (a refused key signs out instead). */
function guarded(load: Promise<void>): Promise<void> {
  return load.catch((error: unknown) => {
    if (!dashboard.hidden) pageError.textContent = explain(error);
  });
}

async function refreshOverview(): Promise<void> {
  await guarded(
    accountCall<Account>('/v1/account').then((answer) => {
      account = answer;
      renderOverview(answer);
    }),
  );
}

function signOut(message: string): void {
  accountKey.clear();
  account = null;
  dashboard.hidden = true;
  gate.hidden = false;
  signOutButton.hidden = true;
  const signedIn = byId('signed-in-as', HTMLSpanElement);
  signedIn.textContent = '';
  signedIn.removeAttribute('title');
  keys.reset();
  ledger.reset();
  redeem.reset();
  pageError.textContent = '';
  keyError.textContent = message;
  keyInput.focus();
}

async function enter(): Promise<void> {
  try {
    account = await accountCall<Account>('/v1/account');
  } catch (error) {
    return signOut(explain(error));
  }
  gate.hidden = true;
  dashboard.hidden = false;
  signOutButton.hidden = false;
  pageError.textContent = '';
  renderOverview(account);
  await loadSections(account.currency);
}

function loadSections(currency: string): Promise<unknown> {
  // The keys first: the tasks name the key that ran each.
  return Promise.all([guarded(spend.load()), guarded(keys.load()).then(() => guarded(tasks.load(currency))), guarded(ledger.load())]);
}

whenRefused((message) => signOut(message));

byId('sign-in-form', HTMLFormElement).addEventListener('submit', (event) => {
  event.preventDefault();
  keyError.textContent = '';
  const key = keyInput.value.trim();
  if (key === '') {
    keyError.textContent = 'Enter one of your API keys.';
    return;
  }
  accountKey.set(key);
  keyInput.value = '';
  void enter();
});
signOutButton.addEventListener('click', () => signOut(''));
byId('refresh', HTMLButtonElement).addEventListener('click', () => {
  pageError.textContent = '';
  void refreshOverview().then(() => loadSections(account?.currency ?? 'CNY'));
});

if (accountKey.get() !== null) void enter();
