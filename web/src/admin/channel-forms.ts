/** The dialogs that add or change a channel or a credential. */
import { h } from '../lib/dom.js';
import { adminCall } from './client.js';
import { openDialog } from './dialog.js';
import type { ChannelView, CredentialView } from './types.js';

const TYPES = ['dashscope', 'openai-compatible', 'fal', 'comfyui', 'local'] as const;
/** The engine options the form has fields for; the others go in the JSON box. */
const FORM_OPTIONS = new Set(['type', 'baseUrl', 'region', 'models']);

/** `{"*": "0.14"}` ⇄ lines of `model = amount`. */
export function tableText(table: Readonly<Record<string, string>> | null): string {
  return Object.entries(table ?? {})
    .map(([model, amount]) => `${model} = ${amount}`)
    .join('\n');
}

function parseTable(text: string, what: string): Record<string, string> {
  const table: Record<string, string> = {};
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    const match = /^\s*(\S+)\s*[=:]\s*(\S+)\s*$/.exec(line);
    if (!match?.[1] || !match[2]) throw new Error(`${what}, line ${i + 1}: write “model = amount”, like “* = 0.14”.`);
    table[match[1]] = match[2];
  }
  return table;
}

function parseOptions(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error('Other options: not valid JSON.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('Other options: must be a JSON object.');
  return value as Record<string, unknown>;
}

const field = (label: string, control: HTMLElement, help?: string) => h('label', {}, label, control, help ? h('span', { class: 'help' }, help) : null);
const select = (name: string, options: ReadonlyArray<readonly [string, string]>, value: string) => {
  const element = h('select', { name }, ...options.map(([v, text]) => h('option', { value: v }, text)));
  element.value = value;
  return element;
};
const optional = (text: string) => (text.trim() === '' ? null : Number(text));

/** Add a channel (`channel` null) or change one. */
export function channelDialog(channel: ChannelView | null, saved: () => Promise<void>): void {
  const engine = channel?.engine ?? {};
  const text = (key: string) => (typeof engine[key] === 'string' ? (engine[key] as string) : '');
  const models = Array.isArray(engine.models) ? (engine.models as string[]).join(', ') : '';
  const extra = Object.fromEntries(Object.entries(engine).filter(([key]) => !FORM_OPTIONS.has(key)));
  const typeSelect = select('type', TYPES.map((t) => [t, t] as const), channel?.type ?? 'dashscope');
  if (channel) typeSelect.disabled = true;
  openDialog({
    title: channel ? `Edit channel “${channel.name}”` : 'Add a channel',
    action: channel ? 'Save' : 'Add channel',
    content: [
      h(
        'div',
        { class: 'form-grid' },
        field('Name', h('input', { name: 'name', required: true, autocomplete: 'off', pattern: '[A-Za-z0-9_\\-]+', value: channel?.name ?? '', readonly: channel !== null, placeholder: 'cloud-b' })),
        field('Type', typeSelect),
        field('Base URL', h('input', { name: 'baseUrl', type: 'url', value: text('baseUrl'), placeholder: 'the type’s default', autocomplete: 'off' })),
        field('Region', select('region', [['', 'default'], ['beijing', 'Beijing'], ['singapore', 'Singapore']], text('region'))),
        field('Models', h('input', { name: 'models', value: models, placeholder: 'all it can serve', autocomplete: 'off' }), 'Comma-separated ids or families.'),
        field('Re-test', select('test', [['query', 'cheap query'], ['task', 'real task (billed)']], channel?.test ?? 'query')),
        h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'enabled', checked: channel?.enabled ?? true }), 'Enabled'),
      ),
      field('Upstream cost per image', h('textarea', { name: 'cost', rows: 3, placeholder: '* = 0.14' }, tableText(channel?.cost ?? null)), 'One “model = amount” a line; * for every model.'),
      field('Other options (JSON)', h('textarea', { name: 'options', rows: 3, spellcheck: 'false', placeholder: '{"timeoutSeconds": 120}' }, Object.keys(extra).length > 0 ? JSON.stringify(extra, null, 2) : ''), 'As the config file’s engines.<name> takes them, without apiKey.'),
    ],
    submit: async (form) => {
      const data = new FormData(form);
      const value = (name: string) => String(data.get(name) ?? '').trim();
      const options: Record<string, unknown> = { ...parseOptions(value('options')), type: channel?.type ?? value('type') };
      if (value('baseUrl') !== '') options.baseUrl = value('baseUrl');
      if (value('region') !== '') options.region = value('region');
      const list = value('models').split(/[\s,]+/).filter(Boolean);
      if (list.length > 0) options.models = list;
      const body = { engine: options, enabled: data.get('enabled') !== null, cost: parseTable(value('cost'), 'Upstream cost'), test: value('test') };
      if (channel) await adminCall(`/admin/v1/channels/${encodeURIComponent(channel.name)}`, { method: 'PATCH', body });
      else await adminCall('/admin/v1/channels', { body: { name: value('name'), ...body } });
      await saved();
    },
  });
}

/** Add a credential to `channel` (`credential` null) or change one; the key is write-only. */
export function credentialDialog(channel: ChannelView, credential: CredentialView | null, saved: () => Promise<void>): void {
  const number = (name: string, value: number | null, attrs: Record<string, string | number>) => h('input', { name, type: 'number', value: value ?? '', ...attrs });
  openDialog({
    title: credential ? `Edit credential ${credential.key} of “${channel.name}”` : `Add a credential to “${channel.name}”`,
    action: credential ? 'Save' : 'Add credential',
    content: [
      h(
        'div',
        { class: 'form-grid' },
        field(
          'API key',
          h('input', { name: 'apiKey', id: 'credential-key', type: 'password', autocomplete: 'off', spellcheck: 'false', required: credential === null, placeholder: credential ? `keep ${credential.key}` : 'sk-…' }),
          'Stored encrypted; only its last 4 characters are shown again.',
        ),
        field('Label', h('input', { name: 'label', maxlength: 100, value: credential?.label ?? '', autocomplete: 'off', placeholder: 'account B' })),
        field('Region', select('region', [['', 'the channel’s'], ['beijing', 'Beijing'], ['singapore', 'Singapore']], credential?.region ?? '')),
        field('Weight', number('weight', credential?.weight ?? 1, { min: 1, max: 1000, step: 1, required: 'required' })),
        field('Calls per second', number('qps', credential?.qps ?? null, { min: 0.1, max: 10000, step: 0.1, placeholder: 'no limit' })),
        field('Calls in flight', number('maxConcurrent', credential?.maxConcurrent ?? null, { min: 1, max: 1000, step: 1, placeholder: 'channel’s' })),
        h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'enabled', checked: credential?.enabled ?? true }), 'Enabled'),
      ),
      field('Upstream cost per image (overrides the channel’s)', h('textarea', { name: 'cost', rows: 2, placeholder: 'the channel’s' }, tableText(credential?.cost ?? null))),
    ],
    submit: async (form) => {
      const data = new FormData(form);
      const value = (name: string) => String(data.get(name) ?? '').trim();
      const cost = parseTable(value('cost'), 'Upstream cost');
      const body: Record<string, unknown> = {
        label: value('label'),
        region: value('region') === '' ? null : value('region'),
        weight: Number(value('weight')),
        qps: optional(value('qps')),
        maxConcurrent: optional(value('maxConcurrent')),
        cost: Object.keys(cost).length > 0 ? cost : null,
        enabled: data.get('enabled') !== null,
      };
      if (value('apiKey') !== '') body.apiKey = value('apiKey');
      const base = `/admin/v1/channels/${encodeURIComponent(channel.name)}/credentials`;
      if (credential) await adminCall(`${base}/${encodeURIComponent(credential.id)}`, { method: 'PATCH', body });
      else await adminCall(base, { body });
      await saved();
    },
  });
}
