/** A few DOM helpers: build elements, find them by id with their type checked. */
export type Child = Node | string | number | null | undefined | false;
type AttrValue = string | number | boolean | null | undefined | ((event: Event) => void);

export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
}

/** `h('button', { type: 'button', onclick: run }, 'Run')`; false, null and undefined attributes are left out. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, AttrValue> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

export function setChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

export function byId<T extends HTMLElement>(id: string, type: { new (): T; prototype: T }): T {
  const element = document.getElementById(id);
  if (!(element instanceof type)) throw new Error(`#${id} is missing or not a ${type.name}`);
  return element;
}

const ICONS = {
  lock: 'M7 10V7a5 5 0 0 1 10 0v3h1a1 1 0 0 1 1 1v9a1 1 0 0 1-1 1H6a1 1 0 0 1-1-1v-9a1 1 0 0 1 1-1h1zm2 0h6V7a3 3 0 0 0-6 0v3z',
  unlock: 'M9 10h9a1 1 0 0 1 1 1v9a1 1 0 0 1-1 1H6a1 1 0 0 1-1-1v-9a1 1 0 0 1 1-1h1V7a5 5 0 0 1 9.6-2l-1.8.9A3 3 0 0 0 9 7v3z',
  left: 'M15.4 5.4 14 4l-8 8 8 8 1.4-1.4L8.8 12z',
  right: 'M8.6 5.4 10 4l8 8-8 8-1.4-1.4 6.6-6.6z',
  close: 'M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6l5.6-5.6L5 6.4z',
  download: 'M11 4h2v8.2l3.3-3.3 1.4 1.4-5.7 5.7-5.7-5.7 1.4-1.4 3.3 3.3zM5 18h14v2H5z',
  compare: 'M11 3h2v18h-2zM4 6h5v2H6v8h3v2H4zm11 0h5v12h-5v-2h3V8h-3z',
  input: 'M4 5h16v14H4zm2 2v10h12V7zm2 8 2.5-3 2 2.5 1.5-2 2 2.5z',
  open: 'M14 3h7v7h-2V6.4l-7.3 7.3-1.4-1.4L17.6 5H14zM5 5h6v2H5v12h12v-6h2v6a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V7a2 2 0 0 1 2-2z',
} as const satisfies Record<string, string>;

/** A decorative inline SVG icon (hidden from assistive technology: buttons carry their own label). */
export function icon(name: keyof typeof ICONS): SVGSVGElement {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'icon');
  const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  path.setAttribute('d', ICONS[name]);
  svg.appendChild(path);
  return svg;
}

/** Copies text and says so on the button for a moment. */
export async function copyText(text: string, button: HTMLButtonElement): Promise<void> {
  const label = button.textContent;
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = 'Copied';
  } catch {
    button.textContent = 'Select and copy';
  }
  setTimeout(() => (button.textContent = label), 1500);
}

/**
 * Shows a new key's secret in `box`, once, with a copy button and Done (which hides the box and
 * calls `done`); the secret is never shown again.
 */
export function showSecretOnce(box: HTMLElement, created: { name: string; key: string }, codeId: string, done: () => void = () => undefined): void {
  const copy = h('button', { type: 'button', class: 'primary small' }, 'Copy');
  copy.addEventListener('click', () => void copyText(created.key, copy));
  box.hidden = false;
  setChildren(
    box,
    h('p', {}, h('strong', {}, `Key “${created.name}” created.`), ' Copy its secret now: it is shown only this once.'),
    h('div', { class: 'row secret-row' }, h('code', { id: codeId, class: 'secret' }, created.key), copy),
    h('button', { type: 'button', class: 'ghost small', onclick: () => {
      box.hidden = true;
      done();
    } }, 'Done'),
  );
  copy.focus();
}
