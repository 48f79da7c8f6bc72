/**
 * GET /v1/models: the model catalog with each model's capabilities, size rules, price and the engine
 * that serves it, for the playground and for clients (the list also reads as OpenAI's
 * `models.list()`: extra fields only). Public: no key.
 */
import type { FastifyInstance } from 'fastify';
import { BUILT_IN_SUMMARY, CONNECT_DASHSCOPE, isGenerativeEngine, VOCABULARY_DOC } from '../domain/built-in-engine.js';
import { endpointNameOf, listModels, type DefaultSize, type ModelSpec, type SizeRule } from '../domain/models.js';
import { formatAmount } from '../domain/money.js';
import type { PriceList } from '../domain/prices.js';

/** The engine a model's route tries first, by its configured name and type. */
export interface EngineRef {
  name: string;
  type: string;
}

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
  /** The engine that serves the model first; `generative: false` for the built-in CPU engine. Null when none can. */
  engine: (EngineRef & { generative: boolean }) | null;
}

/** What the catalog says about engines, from the composition root (which knows the routes). */
export interface CatalogEngines {
  /** The engine a model's route tries first, if any. */
  engineOf: (model: ModelSpec) => EngineRef | null;
  /** The built-in CPU engine's vocabulary, listed for the models whose engine is not generative. */
  vocabulary: readonly string[];
}

export interface CatalogDeps {
  /** The price list in force. */
  prices: () => PriceList;
  /** Changes whenever prices or routes may have (the catalog's version): the listing is rendered again. */
  version: () => number;
  /** The names of the engines of a model's route, in failover order (for their prices). */
  route?: (model: ModelSpec) => readonly string[];
  engines: CatalogEngines;
}

export function catalogEntry(model: ModelSpec, prices: PriceList, route: readonly string[] = [], engine: EngineRef | null = null): CatalogModel {
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
    engine: engine === null ? null : { name: engine.name, type: engine.type, generative: isGenerativeEngine(engine.type) },
  };
}

export async function catalogRoutes(app: FastifyInstance, deps: CatalogDeps): Promise<void> {
  const builtInEngine = { summary: BUILT_IN_SUMMARY, connect: CONNECT_DASHSCOPE, vocabulary: deps.engines.vocabulary, docs: VOCABULARY_DOC };
  // Rendered once per version of the prices and routes, not per request.
  let rendered: { version: number; list: string; byId: Map<string, string> } | null = null;
  const render = () => {
    const version = deps.version();
    if (rendered?.version === version) return rendered;
    const prices = deps.prices();
    const entries = listModels().map((model) => catalogEntry(model, prices, deps.route?.(model), deps.engines.engineOf(model)));
    const list = JSON.stringify({ object: 'list', currency: prices.currency, data: entries, builtInEngine });
    rendered = { version, list, byId: new Map(entries.map((entry) => [entry.id, JSON.stringify(entry)])) };
    return rendered;
  };
  const json = 'application/json; charset=utf-8';

  app.get('/v1/models', (_request, reply) => {
    reply.type(json).header('cache-control', 'public, max-age=60').send(render().list);
  });

  app.get<{ Params: { id: string } }>('/v1/models/:id', (request, reply) => {
    const entry = render().byId.get(request.params.id);
    if (entry === undefined) {
      const message = `The model '${request.params.id}' does not exist.`;
      return reply.code(404).send({ error: { message, type: 'invalid_request_error', param: 'model', code: 'model_not_found' } });
    }
    return reply.type(json).header('cache-control', 'public, max-age=60').send(entry);
  });
}
