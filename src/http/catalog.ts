/**
 * GET /v1/models: the model catalog with each model's capabilities, size rules and price, for the
 * playground and for clients (the list also reads as OpenAI's `models.list()`). Public: no key.
 */
import type { FastifyInstance } from 'fastify';
import { endpointNameOf, listModels, type DefaultSize, type ModelSpec, type SizeRule } from '../domain/models.js';
import { formatAmount } from '../domain/money.js';
import type { PriceList } from '../domain/prices.js';

interface SizeSpec {
  rule: SizeRule;
  default: DefaultSize;
}

export interface CatalogModel {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
  family: string;
  description: string;
  edit: boolean;
  generate: boolean;
  maxImages: number;
  maxN: number;
  promptExtend: boolean;
  maxPromptChars: number;
  maxNegativePromptChars: number;
  /** The size rule and default when editing (null for text-to-image models), and when generating. */
  editSize: SizeSpec | null;
  generateSize: SizeSpec | null;
  /**
   * perImage: the price of the route's first engine (the one that serves unless it fails);
   * byEngine: each engine of the route, in failover order, at its own price. A submit holds the
   * dearest of them; each image is charged at the price of the engine that made it.
   */
  price: { perImage: string; currency: string; byEngine: Record<string, string> };
  /** The SeaArt queue's name for this model: POST /v1/queue/{seaart}. */
  endpoints: { seaart: string };
}

export function catalogEntry(model: ModelSpec, prices: PriceList, route: readonly string[] = []): CatalogModel {
  return {
    id: model.id,
    object: 'model',
    created: 0,
    owned_by: 'qwen',
    family: model.family,
    description: model.description,
    edit: model.edit,
    generate: model.generate,
    maxImages: model.maxImages,
    maxN: model.maxN,
    promptExtend: model.promptExtend,
    maxPromptChars: model.maxPromptChars,
    maxNegativePromptChars: model.maxNegativePromptChars,
    editSize: model.edit ? { rule: model.editSize, default: model.editDefault } : null,
    generateSize: model.generate ? { rule: model.generateSize, default: model.generateDefault } : null,
    price: {
      perImage: formatAmount(prices.forEngine(model, route[0] ?? null)),
      currency: prices.currency,
      byEngine: Object.fromEntries(route.map((engine) => [engine, formatAmount(prices.forEngine(model, engine))])),
    },
    endpoints: { seaart: endpointNameOf(model.id) },
  };
}

export async function catalogRoutes(app: FastifyInstance, deps: { prices: PriceList; route?: (model: ModelSpec) => readonly string[] }): Promise<void> {
  const entries = listModels().map((model) => catalogEntry(model, deps.prices, deps.route?.(model)));
  // The catalog and prices are fixed for the life of the process: render once.
  const list = JSON.stringify({ object: 'list', currency: deps.prices.currency, data: entries });
  const byId = new Map(entries.map((entry) => [entry.id, JSON.stringify(entry)]));
  const json = 'application/json; charset=utf-8';

  app.get('/v1/models', (_request, reply) => {
    reply.type(json).header('cache-control', 'public, max-age=60').send(list);
  });

  app.get<{ Params: { id: string } }>('/v1/models/:id', (request, reply) => {
    const entry = byId.get(request.params.id);
    if (entry === undefined) {
      const message = `The model '${request.params.id}' does not exist.`;
      return reply.code(404).send({ error: { message, type: 'invalid_request_error', param: 'model', code: 'model_not_found' } });
    }
    return reply.type(json).header('cache-control', 'public, max-age=60').send(entry);
  });
}
