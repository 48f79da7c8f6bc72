/** The pager under a paged table: "26–50 of 80", and a button to each neighbouring page. */
import { h, setChildren } from './dom.js';

export interface PagerState {
  offset: number;
  /** Rows on this page. */
  shown: number;
  total: number;
  /** Rows a page holds. */
  limit: number;
}

export interface PagerWords {
  /** What the rows are, for "0 users". */
  noun: string;
  back: string;
  forward: string;
}

export function renderPager(box: HTMLElement, page: PagerState, go: (offset: number) => void, words: PagerWords): void {
  const last = Math.min(page.offset + page.shown, page.total);
  setChildren(
    box,
    h('span', { class: 'muted' }, page.total === 0 ? `0 ${words.noun}` : `${page.offset + 1}–${last} of ${page.total}`),
    h('button', { type: 'button', class: 'small ghost', disabled: page.offset === 0, onclick: () => go(Math.max(0, page.offset - page.limit)) }, words.back),
    h('button', { type: 'button', class: 'small ghost', disabled: last >= page.total, onclick: () => go(page.offset + page.limit) }, words.forward),
  );
}
