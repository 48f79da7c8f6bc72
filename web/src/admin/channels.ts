/**
 * Channels: each upstream account pool with its state on this node, its credentials (keys as their
 * last 4 characters, automatic disables with their reason and re-test time) and its recent changes;
 * add, edit, switch off, test and delete channels and credentials.
 */
import { byId, h, setChildren } from '../lib/dom.js';
import { dateTime, duration, untilText } from '../lib/format.js';
import { channelDialog, credentialDialog, tableText } from './channel-forms.js';
import { adminCall, explain } from './client.js';
import { openDialog } from './dialog.js';
import type { AuditView, CatalogView, ChannelTestResult, ChannelView, CredentialView } from './types.js';

const KEYLESS = new Set(['local', 'comfyui']);
const STATE_WORDS: Readonly<Record<string, string>> = { closed: 'healthy', 'half-open': 'probing', open: 'circuit open' };
const DISABLE_WORDS: Readonly<Record<string, string>> = { auth: 'key refused', arrears: 'account in arrears', model_not_open: 'model not opened' };

const retest = (at: number) => (at <= Date.now() ? 'Re-test due now' : `Re-test ${untilText(at)}`);
const percent = (rate: number) => `${(rate * 100).toFixed(rate > 0 && rate < 0.1 ? 1 : 0)}%`;
const path = (channel: string, rest = '') => `/admin/v1/channels/${encodeURIComponent(channel)}${rest}`;
const concerns = (entry: AuditView, channel: string) => entry.subject === `channel:${channel}` || entry.subject.startsWith(`credential:${channel}/`);

function stat(label: string, value: string): HTMLElement[] {
  return [h('dt', {}, label), h('dd', {}, value)];
}

function testText(result: ChannelTestResult, channel: ChannelView): string {
  const credential = channel.credentials.find((c) => c.id === result.credential);
  const via = `${result.mode} via ${credential ? credential.label || credential.key : (result.credential ?? 'the channel')} on ${result.model}, ${duration(result.latencyMs)}`;
  if (!result.ok) return `Failed (${via}): ${result.error?.code ?? 'error'} — ${result.error?.message ?? ''}`;
  const images = result.answer && result.answer.images > 0 ? `, ${result.answer.images} image${result.answer.images > 1 ? 's' : ''}` : '';
  return `OK (${via})${images}.`;
}

export class ChannelsSection {
  private readonly list = byId('channel-list', HTMLDivElement);
  private readonly live = byId('channels-live', HTMLInputElement);
  private timer: ReturnType<typeof setInterval> | null = null;
  /** Tests under way: the live refresh waits for them. */
  private busy = 0;

  /** `visible`: whether the tab is on screen (the live refresh runs only then). */
  constructor(private readonly visible: () => boolean) {
    byId('channel-add', HTMLButtonElement).addEventListener('click', () => channelDialog(null, () => this.load()));
    this.live.addEventListener('change', () => this.schedule());
    this.schedule();
  }

  async load(): Promise<void> {
    const [view, audit] = await Promise.all([
      adminCall<CatalogView>('/admin/v1/channels'),
      adminCall<{ data: AuditView[] }>('/admin/v1/audit?limit=200').catch(() => ({ data: [] })),
    ]);
    // Test results stay on screen across a refresh.
    const results = new Map([...this.list.querySelectorAll<HTMLElement>('.test-result')].filter((el) => el.textContent !== '').map((el) => [el.id, { text: el.textContent ?? '', classes: el.className }]));
    setChildren(this.list, ...(view.channels.length > 0 ? view.channels.map((c) => this.card(c, audit.data.filter((e) => concerns(e, c.name)).slice(0, 8))) : [h('p', { class: 'empty' }, 'No channels: add one.')]));
    for (const [id, result] of results) {
      const element = document.getElementById(id);
      if (!element) continue;
      element.textContent = result.text;
      element.className = result.classes;
    }
  }

  /** Refreshes every 5 s while the tab is shown, unless the operator is working inside the list (a refresh would take the focus away). */
  private schedule(): void {
    if (this.timer !== null) clearInterval(this.timer);
    const due = () => this.busy === 0 && this.visible() && !this.list.contains(document.activeElement) && document.querySelector('dialog[open]') === null;
    this.timer = this.live.checked ? setInterval(() => (due() ? void this.load().catch(() => undefined) : undefined), 5000) : null;
  }

  /** Runs a change, then shows the catalog as it now is; a refusal is shown where the action was. */
  private act(run: () => Promise<unknown>, out: HTMLElement): void {
    out.textContent = '';
    run().then(
      () => this.load(),
      (error: unknown) => {
        out.textContent = explain(error);
        out.classList.add('error-text');
        return this.load().catch(() => undefined);
      },
    );
  }

  private card(channel: ChannelView, audit: readonly AuditView[]): HTMLElement {
    const id = `channel-${channel.name}`;
    const out = h('p', { class: 'test-result', role: 'status', id: `${id}-result` });
    const status = !channel.enabled ? 'off' : channel.usable ? 'usable' : 'disabled';
    const toggle = h('input', { type: 'checkbox', checked: channel.enabled, 'aria-label': `Channel ${channel.name} enabled` });
    toggle.addEventListener('change', () => this.act(() => adminCall(path(channel.name), { method: 'PATCH', body: { enabled: toggle.checked } }), out));
    const { health } = channel;
    const keyless = KEYLESS.has(channel.type);
    return h(
      'article',
      { class: 'channel-card', id, 'data-channel': channel.name, 'aria-labelledby': `${id}-title` },
      h(
        'header',
        { class: 'channel-head' },
        h('h3', { id: `${id}-title` }, channel.name),
        h('span', { class: 'tag' }, channel.type),
        h('span', { class: 'status-chip', 'data-status': status }, status === 'off' ? 'switched off' : status === 'usable' ? 'usable' : 'no usable credential'),
        h('label', { class: 'switch channel-switch' }, toggle, h('span', {}, 'Enabled')),
      ),
      h(
        'dl',
        { class: 'engine-stats channel-stats' },
        ...stat('In flight', health.waiting > 0 ? `${health.inFlight} (+${health.waiting} waiting)` : String(health.inFlight)),
        ...stat('Errors, 5 min', `${percent(health.errorRate)} of ${health.calls} calls`),
        ...stat('Routes', channel.routes.length > 0 ? channel.routes.join(', ') : 'none'),
        ...stat('Models', channel.models === '*' ? 'all its type serves' : channel.models.join(', ')),
        ...stat('Upstream cost', tableText(channel.cost).replaceAll('\n', '; ') || 'not set'),
        ...stat('Re-test', channel.test === 'task' ? 'real task' : 'query'),
      ),
      h(
        'div',
        { class: 'row wrap' },
        h('button', { type: 'button', class: 'small', onclick: () => channelDialog(channel, () => this.load()) }, 'Edit'),
        h('button', { type: 'button', class: 'small', onclick: () => this.test(channel, null, out) }, 'Test'),
        keyless ? null : h('button', { type: 'button', class: 'small', onclick: () => credentialDialog(channel, null, () => this.load()) }, 'Add credential'),
        h('button', { type: 'button', class: 'small ghost danger', onclick: () => this.remove(channel) }, 'Delete'),
      ),
      out,
      keyless && channel.credentials.length === 0 ? h('p', { class: 'help' }, 'Keyless: one instance, no credentials.') : this.credentials(channel, out),
      audit.length > 0 ? this.history(audit) : null,
    );
  }

  private credentials(channel: ChannelView, out: HTMLElement): HTMLElement {
    if (channel.credentials.length === 0) return h('p', { class: 'help warn-text' }, 'No credentials: add an account’s API key.');
    return h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'stack-on-phone credentials' },
        h('thead', {}, h('tr', {}, ...['Credential', 'Region', 'Weight', 'QPS', 'Last 24 h', 'In flight', 'Health', 'Status', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, ...channel.credentials.map((credential) => this.credentialRow(channel, credential, out))),
      ),
    );
  }

  private credentialRow(channel: ChannelView, credential: CredentialView, out: HTMLElement): HTMLTableRowElement {
    const name = credential.label || credential.id;
    const patch = (body: Record<string, unknown>) => adminCall(path(channel.name, `/credentials/${encodeURIComponent(credential.id)}`), { method: 'PATCH', body });
    const toggle = h('input', { type: 'checkbox', checked: credential.enabled, 'aria-label': `Credential ${name} enabled` });
    toggle.addEventListener('change', () => this.act(() => patch({ enabled: toggle.checked }), out));
    const { health, disabled } = credential;
    return h(
      'tr',
      { 'data-credential': credential.id },
      h('td', { 'data-label': 'Credential' }, h('strong', {}, name), ' ', h('code', { class: 'key-tail' }, credential.key), h('div', { class: 'muted' }, credential.source === 'config' ? 'from the config file' : 'stored encrypted')),
      h('td', { 'data-label': 'Region' }, credential.region ?? 'channel’s'),
      h('td', { class: 'num', 'data-label': 'Weight' }, credential.weight),
      h('td', { class: 'num', 'data-label': 'QPS' }, credential.qps ?? '—'),
      h('td', { class: 'num', 'data-label': 'Last 24 h' }, `${credential.recent.images} images`, h('div', { class: 'muted' }, `${credential.recent.tasks} tasks, all nodes`)),
      h('td', { class: 'num', 'data-label': 'In flight' }, credential.maxConcurrent !== null ? `${health.inFlight} / ${credential.maxConcurrent}` : health.inFlight),
      h(
        'td',
        { 'data-label': 'Health' },
        // A credential out of rotation has no circuit to speak of: its status says why.
        credential.usable ? h('span', { class: 'status-chip', 'data-status': health.state }, STATE_WORDS[health.state] ?? health.state) : h('span', { class: 'muted' }, 'not in rotation'),
        h('div', { class: 'muted' }, `${percent(health.errorRate)} errors of ${health.calls}`, health.lastLatencyMs !== null ? ` · ${duration(health.lastLatencyMs)}` : ''),
      ),
      h(
        'td',
        { 'data-label': 'Status', class: 'error-cell wide-on-phone' },
        disabled
          ? h(
              'div',
              { class: 'disabled-reason' },
              h('span', { class: 'status-chip', 'data-status': 'disabled' }, `disabled: ${DISABLE_WORDS[disabled.kind] ?? disabled.kind}`),
              h('div', {}, h('code', {}, disabled.code), ' ', h('span', { class: 'error-text' }, disabled.reason)),
              h('div', { class: 'muted' }, `${retest(Date.parse(disabled.nextTestAt))} (${dateTime(Date.parse(disabled.nextTestAt))}), strike ${disabled.strikes}`),
            )
          : h('span', { class: 'status-chip', 'data-status': credential.usable ? 'usable' : 'off' }, credential.usable ? 'usable' : 'switched off'),
      ),
      h(
        'td',
        {},
        h(
          'div',
          { class: 'row wrap' },
          h('label', { class: 'switch' }, toggle, h('span', {}, 'Enabled')),
          disabled ? h('button', { type: 'button', class: 'small primary', onclick: () => this.act(() => patch({ enabled: true }), out) }, 'Re-enable') : null,
          h('button', { type: 'button', class: 'small', onclick: () => this.test(channel, credential, out) }, 'Test'),
          h('button', { type: 'button', class: 'small ghost', onclick: () => credentialDialog(channel, credential, () => this.load()) }, 'Edit'),
          h('button', { type: 'button', class: 'small ghost danger', onclick: () => this.removeCredential(channel, credential) }, 'Remove'),
        ),
      ),
    );
  }

  private history(audit: readonly AuditView[]): HTMLElement {
    return h(
      'details',
      { class: 'channel-history' },
      h('summary', {}, `Recent changes (${audit.length})`),
      h('ul', {}, ...audit.map((entry) => h('li', {}, h('time', { datetime: entry.at }, dateTime(Date.parse(entry.at))), ' ', h('code', {}, entry.action), ` ${entry.subject} by ${entry.actor}`))),
    );
  }

  private test(channel: ChannelView, credential: CredentialView | null, out: HTMLElement): void {
    out.classList.remove('error-text');
    out.textContent = `Testing ${channel.name}…`;
    // The list may have been redrawn meanwhile: the answer goes to the element shown now.
    const shown = () => document.getElementById(out.id) ?? out;
    this.busy += 1;
    adminCall<ChannelTestResult>(path(channel.name, '/test'), { body: credential ? { credential: credential.id } : {} })
      .then(
        (result) => {
          shown().textContent = testText(result, channel);
          shown().classList.toggle('error-text', !result.ok);
        },
        (error: unknown) => {
          shown().textContent = explain(error);
          shown().classList.add('error-text');
        },
      )
      .finally(() => (this.busy -= 1));
  }

  private remove(channel: ChannelView): void {
    openDialog({
      title: `Delete channel “${channel.name}”?`,
      content: [h('p', {}, channel.routes.length > 0 ? `Routes name it (${channel.routes.join(', ')}): take it out of them first.` : 'Its credentials are deleted with it. Usage already recorded keeps its name.')],
      action: 'Delete',
      danger: true,
      submit: async () => {
        await adminCall(path(channel.name), { method: 'DELETE' });
        await this.load();
      },
    });
  }

  private removeCredential(channel: ChannelView, credential: CredentialView): void {
    openDialog({
      title: `Remove credential ${credential.key}?`,
      content: [h('p', {}, `Calls through “${channel.name}” stop using ${credential.label || credential.id} at once. A key stored here is deleted; one from the config file comes back when its entry changes.`)],
      action: 'Remove',
      danger: true,
      submit: async () => {
        await adminCall(path(channel.name, `/credentials/${encodeURIComponent(credential.id)}`), { method: 'DELETE' });
        await this.load();
      },
    });
  }
}
