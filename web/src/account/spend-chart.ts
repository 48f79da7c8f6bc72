/**
 * Spend per UTC day as stacked bars, one colour per model, drawn as plain SVG (no chart library:
 * margin-chart.ts draws lines with uPlot and reads the admin margin rows). Colours come from
 * account.css by class (series-0…7), so dark mode and the CSP (no inline styles) both hold.
 * Redrawn to the container's width whenever it changes.
 */
import { formatMoney, parseAmount } from '../../../src/domain/money.js';
import { h, setChildren } from '../lib/dom.js';
import type { Spend } from './types.js';

const DAY_MS = 86_400_000;
const SERIES = 8;
const HEIGHT = 200;
const PAD = { top: 10, right: 8, bottom: 24 };
const SVG_NS = 'http://www.w3.org/2000/svg';

/** Each day of the range (YYYY-MM-DD), the models by total spend (largest first), and micros[model][day]. */
export function stackedDays(spend: Pick<Spend, 'from' | 'to' | 'data'>): { days: string[]; models: string[]; micros: number[][] } {
  const days: string[] = [];
  for (let day = Date.parse(spend.from); day < Date.parse(spend.to); day += DAY_MS) days.push(new Date(day).toISOString().slice(0, 10));
  const totals = new Map<string, number>();
  for (const line of spend.data) totals.set(line.model, (totals.get(line.model) ?? 0) + (parseAmount(line.amount) ?? 0));
  const models = [...totals.keys()].sort((a, b) => (totals.get(b) ?? 0) - (totals.get(a) ?? 0) || a.localeCompare(b));
  const micros = models.map(() => days.map(() => 0));
  for (const line of spend.data) {
    const row = micros[models.indexOf(line.model)];
    const at = days.indexOf(line.day);
    if (row && at >= 0) row[at] = (row[at] ?? 0) + (parseAmount(line.amount) ?? 0);
  }
  return { days, models, micros };
}

/** The smallest of 1, 2, 2.5, 5 × 10^k (at least a cent) not below `value`: the y axis's top. */
export function niceCeiling(value: number): number {
  let unit = 10_000;
  while (unit * 10 < value) unit *= 10;
  return [1, 2, 2.5, 5, 10].map((step) => step * unit).find((top) => top >= value) ?? unit * 10;
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, ...children: Array<SVGElement | string>): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, String(value));
  for (const child of children) element.append(child);
  return element;
}

export class SpendChart {
  private spend: Spend | null = null;
  private width = 0;

  constructor(private readonly box: HTMLElement, private readonly legend: HTMLElement) {
    new ResizeObserver(() => {
      if (this.spend && this.box.clientWidth !== this.width) this.draw(this.spend);
    }).observe(box);
  }

  draw(spend: Spend): void {
    this.spend = spend;
    this.width = this.box.clientWidth;
    const { days, models, micros } = stackedDays(spend);
    if (models.length === 0) {
      setChildren(this.box, h('p', { class: 'empty' }, 'Nothing charged in these 30 days.'));
      setChildren(this.legend);
      return;
    }
    const money = (value: number) => formatMoney(value, spend.currency);
    const dayTotals = days.map((_, d) => micros.reduce((sum, row) => sum + (row[d] ?? 0), 0));
    const top = niceCeiling(Math.max(...dayTotals));
    const ticks = [0, top / 2, top];
    const left = 10 + 7 * Math.max(...ticks.map((tick) => money(tick).length));
    const width = Math.max(280, this.width);
    const plotWidth = width - left - PAD.right;
    const plotHeight = HEIGHT - PAD.top - PAD.bottom;
    const y = (value: number) => PAD.top + plotHeight - (value / top) * plotHeight;
    const slot = plotWidth / days.length;
    const barWidth = Math.max(2, slot * 0.7);
    const labelEvery = Math.ceil(days.length / Math.max(1, Math.floor(plotWidth / 48)));

    const chart = svg('svg', {
      class: 'spend-svg',
      width,
      height: HEIGHT,
      viewBox: `0 0 ${width} ${HEIGHT}`,
      role: 'img',
      'aria-label': `Spend per day from ${days[0] ?? ''} to ${days.at(-1) ?? ''}, stacked by model; highest day ${money(Math.max(...dayTotals))}.`,
    });
    for (const tick of ticks) {
      chart.append(
        svg('line', { class: 'grid', x1: left, x2: width - PAD.right, y1: y(tick), y2: y(tick) }),
        svg('text', { class: 'tick', x: left - 6, y: y(tick) + 4, 'text-anchor': 'end' }, money(tick)),
      );
    }
    days.forEach((day, d) => {
      const x = left + d * slot + (slot - barWidth) / 2;
      let base = 0;
      models.forEach((model, m) => {
        const value = micros[m]?.[d] ?? 0;
        if (value === 0) return;
        const rect = svg('rect', { class: `bar series-${m % SERIES}`, 'data-day': day, 'data-model': model, x, y: y(base + value), width: barWidth, height: Math.max(1, y(base) - y(base + value)) });
        rect.append(svg('title', {}, `${day} · ${model}: ${money(value)}`));
        chart.append(rect);
        base += value;
      });
      if (d % labelEvery === 0) chart.append(svg('text', { class: 'tick', x: left + d * slot + slot / 2, y: HEIGHT - 6, 'text-anchor': 'middle' }, day.slice(5)));
    });
    setChildren(this.box, chart);
    setChildren(
      this.legend,
      ...models.map((model, m) =>
        h('span', { class: 'legend-item' }, h('span', { class: `swatch series-${m % SERIES}`, 'aria-hidden': 'true' }), `${model} ${money((micros[m] ?? []).reduce((a, b) => a + b, 0))}`),
      ),
    );
  }
}
