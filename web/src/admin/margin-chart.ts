/**
 * The margins over time, drawn by uPlot (bundled, no CDN; it styles through the CSSOM, which the
 * pages' CSP allows): requests per day by model, and revenue (solid) against upstream cost
 * (dashed) per day by model.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { parseAmount } from '../../../src/domain/money.js';
import type { MarginLine } from './types.js';

const DAY_MS = 86_400_000;
const PALETTE = ['#5643e6', '#0e9f6e', '#d97706', '#db2777', '#0284c7', '#7c3aed', '#65a30d', '#dc2626'];
const HEIGHT = 220;
/** Tick steps of a count: no half requests. */
const WHOLE_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000];

/** Day starts (epoch seconds, UTC) from `from` up to `to`, and each model's figure per day (0 when none). */
export function dailySeries(lines: readonly MarginLine[], from: number, to: number, pick: (line: MarginLine) => number): { days: number[]; models: string[]; values: number[][] } {
  const first = Math.floor(from / DAY_MS) * DAY_MS;
  const days: number[] = [];
  for (let day = first; day < to; day += DAY_MS) days.push(day / 1000);
  const models = [...new Set(lines.map((line) => line.model ?? '?'))].sort();
  const values = models.map((model) => days.map((day) => lines.filter((l) => (l.model ?? '?') === model && l.day !== undefined && Date.parse(`${l.day}T00:00:00Z`) / 1000 === day).reduce((sum, l) => sum + pick(l), 0)));
  return { days, models, values };
}

/** Revenue and cost are never negative. */
const money = (text: string) => (parseAmount(text) ?? 0) / 1_000_000;

export class MarginChart {
  private charts: uPlot[] = [];

  constructor(private readonly requests: HTMLElement, private readonly amounts: HTMLElement) {
    window.addEventListener('resize', () => {
      for (const chart of this.charts) chart.setSize({ width: this.width(chart.root.parentElement), height: HEIGHT });
    });
  }

  private width(element: HTMLElement | null): number {
    return Math.max(240, (element?.clientWidth ?? 600) - 4);
  }

  draw(lines: readonly MarginLine[], from: number, to: number, currency: string): void {
    for (const chart of this.charts) chart.destroy();
    const style = getComputedStyle(document.documentElement);
    const ink = style.getPropertyValue('--muted').trim() || '#666';
    const grid = style.getPropertyValue('--border').trim() || '#ddd';
    const axis = (label: string, whole = false): uPlot.Axis => ({ label, stroke: ink, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, ...(whole ? { incrs: WHOLE_STEPS } : {}) });
    // One tick a day at most (the data are daily), labelled with the UTC date.
    const x: uPlot.Axis = {
      stroke: ink,
      grid: { stroke: grid, width: 1 },
      ticks: { stroke: grid, width: 1 },
      incrs: [86_400, 2 * 86_400, 7 * 86_400, 14 * 86_400, 28 * 86_400],
      values: (_chart, splits) => splits.map((s) => new Date(s * 1000).toISOString().slice(5, 10)),
    };
    const colour = (i: number) => PALETTE[i % PALETTE.length] ?? '#5643e6';

    const tasks = dailySeries(lines, from, to, (l) => l.tasks);
    const revenue = dailySeries(lines, from, to, (l) => money(l.revenue));
    const cost = dailySeries(lines, from, to, (l) => money(l.cost));
    const series = (models: readonly string[], suffix: string, dash?: number[]): uPlot.Series[] =>
      models.map((model, i) => ({ label: `${model}${suffix}`, stroke: colour(i), width: 2, ...(dash ? { dash } : {}), points: { show: true, size: 5 } }));

    this.charts = [
      new uPlot(
        { width: this.width(this.requests), height: HEIGHT, scales: { x: { time: true } }, tzDate: (s: number) => uPlot.tzDate(new Date(s * 1000), 'Etc/UTC'), axes: [x, axis('Requests', true)], series: [{ label: 'Day' }, ...series(tasks.models, '')] },
        [tasks.days, ...tasks.values],
        this.requests,
      ),
      new uPlot(
        {
          width: this.width(this.amounts),
          height: HEIGHT,
          scales: { x: { time: true } }, tzDate: (s: number) => uPlot.tzDate(new Date(s * 1000), 'Etc/UTC'),
          axes: [x, axis(currency)],
          series: [{ label: 'Day' }, ...series(revenue.models, ' revenue'), ...series(cost.models, ' cost', [6, 4])],
        },
        [revenue.days, ...revenue.values, ...cost.values],
        this.amounts,
      ),
    ];
  }
}
