/**
 * Per-image prices. Defaults (CNY) follow the seeds where they say (qwen-image-edit-plus ¥0.18,
 * seed 004) and are otherwise our own starting points; every deployment sets its own in the
 * config file's `prices.perImage` (by model id, family, or "*").
 */
import { AppError } from './errors.js';
import type { ModelSpec } from './models.js';
import { parseAmount } from './money.js';

export const DEFAULT_PRICES: Readonly<Record<string, string>> = {
  'qwen-image-edit': '0.30',
  'qwen-image-edit-plus': '0.18',
  'qwen-image-edit-max': '0.50',
  'qwen-image': '0.25',
  'qwen-image-plus': '0.20',
  'qwen-image-max': '0.50',
  'qwen-image-2.0': '0.20',
  'qwen-image-2.0-pro': '0.50',
};

export class PriceList {
  private readonly micros = new Map<string, number>();

  constructor(
    readonly currency: string,
    configured: Readonly<Record<string, string>>,
  ) {
    for (const [model, text] of Object.entries({ ...DEFAULT_PRICES, ...configured })) {
      const amount = parseAmount(text);
      if (amount === null) throw new AppError('internal', `prices.perImage.${model}: "${text}" is not an amount.`);
      this.micros.set(model, amount);
    }
  }

  /** The price of one image of this model, in micros: its own, its family's, or "*". */
  perImage(model: ModelSpec): number {
    return this.micros.get(model.id) ?? this.micros.get(model.family) ?? this.micros.get('*') ?? 0;
  }

  entries(): Array<[string, number]> {
    return [...this.micros.entries()];
  }
}
