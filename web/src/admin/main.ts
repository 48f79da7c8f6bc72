/** The admin console: a token gate, then keys, users, groups, codes, usage, tasks, channels, routes, prices, margins and engines as tabs. */
import '../base.css';
import '../controls.css';
import '../components.css';
import './admin.css';
import { call } from '../lib/api.js';
import { byId } from '../lib/dom.js';
import type { Catalog } from '../lib/types.js';
import { ChannelsSection } from './channels.js';
import { adminCall, adminToken, explain, whenRefused } from './client.js';
import { CodesSection } from './codes.js';
import { EnginesSection } from './engines.js';
import { GroupsSection } from './groups.js';
import { KeysSection } from './keys.js';
import { MarginsSection } from './margins.js';
import { PricesSection } from './prices.js';
import { RoutesSection } from './routes.js';
import { TasksSection } from './tasks.js';
import { UsageSection } from './usage.js';
import { UsersSection } from './users.js';

type Tab = 'keys' | 'users' | 'groups' | 'codes' | 'usage' | 'tasks' | 'channels' | 'routes' | 'prices' | 'margins' | 'engines';
const TABS: readonly Tab[] = ['keys', 'users', 'groups', 'codes', 'usage', 'tasks', 'channels', 'routes', 'prices', 'margins', 'engines'];

const gate = byId('gate', HTMLElement);
const consoleBox = byId('console', HTMLDivElement);
const tokenInput = byId('admin-token', HTMLInputElement);
const tokenError = byId('admin-token-error', HTMLParagraphElement);
const sectionError = byId('section-error', HTMLParagraphElement);
let currency = 'CNY';
let models: string[] = [];
let current: Tab = 'keys';

const usage = new UsageSection();
const tasks = new TasksSection(() => current === 'tasks' && !consoleBox.hidden && document.visibilityState === 'visible');
const engines = new EnginesSection();
const channels = new ChannelsSection(() => current === 'channels' && !consoleBox.hidden && document.visibilityState === 'visible');
const routes = new RoutesSection();
const prices = new PricesSection();
const margins = new MarginsSection();
const users = new UsersSection({
  currency: () => currency,
  models: () => models,
  showMargins: (userId) => {
    margins.filterByUser(userId);
    select('margins', true);
  },
});
const groups = new GroupsSection();
const codes = new CodesSection(() => currency);
const keys = new KeysSection({
  currency: () => currency,
  show: (section, keyId) => {
    if (section === 'usage') usage.filterByKey(keyId);
    else tasks.filterByKey(keyId);
    select(section, true);
  },
  changed: (list) => {
    usage.setChoices(list, models);
    tasks.setChoices(list, models);
  },
});

const loaders: Record<Tab, () => Promise<void>> = {
  keys: () => keys.load(),
  users: () => users.load(),
  groups: () => groups.load(),
  codes: () => codes.load(),
  usage: () => usage.load(),
  tasks: () => tasks.load(),
  channels: () => channels.load(),
  routes: () => routes.load(),
  prices: () => prices.load(),
  margins: () => margins.load(),
  engines: () => engines.load(),
};

function select(tab: Tab, focus = false): void {
  current = tab;
  for (const name of TABS) {
    const button = byId(`tab-${name}`, HTMLButtonElement);
    button.setAttribute('aria-selected', String(name === tab));
    button.tabIndex = name === tab ? 0 : -1;
    byId(`panel-${name}`, HTMLElement).hidden = name !== tab;
  }
  if (location.hash !== `#${tab}`) history.replaceState(null, '', `#${tab}`);
  if (focus) byId(`tab-${tab}`, HTMLButtonElement).focus();
  sectionError.textContent = '';
  loaders[tab]().catch((error: unknown) => (sectionError.textContent = explain(error)));
}

function signOut(message: string): void {
  adminToken.clear();
  consoleBox.hidden = true;
  gate.hidden = false;
  byId('sign-out', HTMLButtonElement).hidden = true;
  tokenError.textContent = message;
  tokenInput.focus();
}

async function enter(): Promise<void> {
  try {
    await adminCall('/admin/v1/keys');
  } catch (error) {
    return signOut(explain(error));
  }
  gate.hidden = true;
  consoleBox.hidden = false;
  byId('sign-out', HTMLButtonElement).hidden = false;
  const fromHash = location.hash.slice(1);
  select(TABS.find((tab) => tab === fromHash) ?? 'keys');
}

whenRefused((message) => signOut(message));

byId('token-form', HTMLFormElement).addEventListener('submit', (event) => {
  event.preventDefault();
  tokenError.textContent = '';
  const token = tokenInput.value.trim();
  if (token === '') {
    tokenError.textContent = 'Enter the admin token.';
    return;
  }
  adminToken.set(token);
  tokenInput.value = '';
  void enter();
});
byId('sign-out', HTMLButtonElement).addEventListener('click', () => signOut(''));

const tabList = byId('admin-tabs', HTMLDivElement);
for (const tab of TABS) {
  byId(`tab-${tab}`, HTMLButtonElement).addEventListener('click', () => {
    // Users clicked while showing a user's detail: back to the list. (From another tab, the detail
    // left open is shown again.)
    if (tab === 'users' && current === 'users') users.showList();
    select(tab);
  });
}
tabList.addEventListener('keydown', (event) => {
  const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
  if (step === 0) return;
  event.preventDefault();
  select(TABS[(TABS.indexOf(current) + step + TABS.length) % TABS.length] ?? 'keys', true);
});
const refreshButtons = [
  ['keys-refresh', 'keys'],
  ['users-refresh', 'users'],
  ['groups-refresh', 'groups'],
  ['codes-refresh', 'codes'],
  ['engines-refresh', 'engines'],
  ['channels-refresh', 'channels'],
] as const;
for (const [button, tab] of refreshButtons) {
  byId(button, HTMLButtonElement).addEventListener('click', () => select(tab));
}

call<Catalog>('/v1/models').then(
  (catalog) => {
    currency = catalog.currency;
    models = catalog.data.map((model) => model.id);
    keys.setModels(models);
    routes.setModels(models);
    groups.setModels(models);
    usage.setChoices(keys.list, models);
    tasks.setChoices(keys.list, models);
  },
  () => undefined,
);

if (adminToken.get() !== null) void enter();
