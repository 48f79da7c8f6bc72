/**
 * The Qwen-Image model catalog: every model of the seeds and protocols.md §1.2 with its
 * capabilities as data. Rules elsewhere read only this table.
 */

export interface Size {
  width: number;
  height: number;
}

/** How an explicit `size` is checked for a model. */
export type SizeRule =
  /** `size` is refused (base qwen-image-edit). */
  | { kind: 'none' }
  /** Each side within [min, max], rounded to the nearest multiple. */
  | { kind: 'sides'; min: number; max: number; multiple: number }
  /** Total pixels within [minPixels, maxPixels], sides rounded to the multiple. */
  | { kind: 'total'; minPixels: number; maxPixels: number; multiple: number; minSide: number; maxSide: number }
  /** Only one of a fixed list of sizes. */
  | { kind: 'fixed'; sizes: readonly Size[] };

/** What size a task gets when the request names none. */
export type DefaultSize =
  /** The last input image's aspect ratio at about this many pixels, sides in multiples of 16. */
  | { kind: 'last-image-area'; pixels: number }
  /** The last input image's own resolution, brought into the size rule's range. */
  | { kind: 'last-image-native' }
  | { kind: 'fixed'; size: Size };

export interface ModelSpec {
  /** The name clients send. */
  id: string;
  /** The undated model this one is a snapshot of (itself when undated). */
  family: string;
  /** Edit models take 1–maxImages images; generate models take none. */
  edit: boolean;
  generate: boolean;
  maxImages: number;
  maxN: number;
  /** Size rule and default when editing. */
  editSize: SizeRule;
  editDefault: DefaultSize;
  /** Size rule and default when generating from text alone. */
  generateSize: SizeRule;
  generateDefault: DefaultSize;
  promptExtend: boolean;
  maxPromptChars: number;
  maxNegativePromptChars: number;
  /** DashScope serves this model only through the async text2image route. */
  dashscopeAsyncText2Image: boolean;
  description: string;
}

export const FIXED_TEXT2IMAGE_SIZES: readonly Size[] = [
  { width: 1664, height: 928 },
  { width: 1472, height: 1104 },
  { width: 1328, height: 1328 },
  { width: 1104, height: 1472 },
  { width: 928, height: 1664 },
];

const SIDES_512_2048: SizeRule = { kind: 'sides', min: 512, max: 2048, multiple: 16 };
const TOTAL_512SQ_2048SQ: SizeRule = {
  kind: 'total',
  minPixels: 512 * 512,
  maxPixels: 2048 * 2048,
  multiple: 16,
  // Not documented by DashScope; our guard against absurd aspect ratios (at most 16:1).
  minSide: 256,
  maxSide: 4096,
};
const NO_SIZE: SizeRule = { kind: 'none' };
const AREA_1MP: DefaultSize = { kind: 'last-image-area', pixels: 1024 * 1024 };
const DEFAULT_16_9: DefaultSize = { kind: 'fixed', size: { width: 1664, height: 928 } };

type ModelTemplate = Omit<ModelSpec, 'id' | 'family'>;

const EDIT_PLUS: ModelTemplate = {
  edit: true,
  generate: false,
  maxImages: 3,
  maxN: 6,
  editSize: SIDES_512_2048,
  editDefault: AREA_1MP,
  generateSize: NO_SIZE,
  generateDefault: AREA_1MP,
  promptExtend: true,
  maxPromptChars: 800,
  maxNegativePromptChars: 500,
  dashscopeAsyncText2Image: false,
  description: 'Image editing with 1–3 input images, 1–6 outputs, custom size.',
};

/** The text-to-image-only models: no input image, one output, 16:9 by default. */
const TEXT_ONLY: ModelTemplate = {
  ...EDIT_PLUS,
  edit: false,
  generate: true,
  maxImages: 0,
  maxN: 1,
  editSize: NO_SIZE,
  generateDefault: DEFAULT_16_9,
};

const TWO_POINT_O: ModelTemplate = {
  ...EDIT_PLUS,
  generate: true,
  editSize: TOTAL_512SQ_2048SQ,
  editDefault: { kind: 'last-image-native' },
  generateSize: TOTAL_512SQ_2048SQ,
  generateDefault: { kind: 'fixed', size: { width: 2048, height: 2048 } },
};

const TEMPLATES: Record<string, { template: ModelTemplate; snapshots: string[] }> = {
  'qwen-image-edit': {
    template: {
      ...EDIT_PLUS,
      maxN: 1,
      editSize: NO_SIZE,
      promptExtend: false,
      description: 'The first image-editing model: 1 output, size follows the last input image.',
    },
    snapshots: [],
  },
  'qwen-image-edit-plus': {
    template: EDIT_PLUS,
    snapshots: ['qwen-image-edit-plus-2025-10-30', 'qwen-image-edit-plus-2025-12-15'],
  },
  'qwen-image-edit-max': {
    template: { ...EDIT_PLUS, description: 'The highest-quality editing model: 1–3 inputs, 1–6 outputs.' },
    snapshots: ['qwen-image-edit-max-2026-01-16'],
  },
  'qwen-image-2.0': {
    template: {
      ...TWO_POINT_O,
      description: 'Unified generation and editing: text alone or with 1–3 images, 1–6 outputs.',
    },
    snapshots: [],
  },
  'qwen-image-2.0-pro': {
    template: {
      ...TWO_POINT_O,
      description: 'The professional unified model: generation and editing, 1–6 outputs.',
    },
    snapshots: ['qwen-image-2.0-pro-2026-03-03', 'qwen-image-2.0-pro-2026-04-22'],
  },
  'qwen-image-max': {
    template: {
      ...TEXT_ONLY,
      generateSize: TOTAL_512SQ_2048SQ,
      description: 'Highest-quality text-to-image: 1 output, custom or fixed sizes.',
    },
    snapshots: [],
  },
  'qwen-image-plus': {
    template: {
      ...TEXT_ONLY,
      generateSize: { kind: 'fixed', sizes: FIXED_TEXT2IMAGE_SIZES },
      dashscopeAsyncText2Image: true,
      description: 'Text-to-image at five fixed sizes, 1 output.',
    },
    snapshots: [],
  },
  'qwen-image': {
    template: {
      ...TEXT_ONLY,
      generateSize: { kind: 'fixed', sizes: FIXED_TEXT2IMAGE_SIZES },
      dashscopeAsyncText2Image: true,
      description: 'The first text-to-image model: five fixed sizes, 1 output.',
    },
    snapshots: [],
  },
};

function buildCatalog(): ReadonlyMap<string, ModelSpec> {
  const catalog = new Map<string, ModelSpec>();
  for (const [family, { template, snapshots }] of Object.entries(TEMPLATES)) {
    for (const id of [family, ...snapshots]) {
      catalog.set(id, Object.freeze({ ...template, id, family }));
    }
  }
  return catalog;
}

export const MODEL_CATALOG: ReadonlyMap<string, ModelSpec> = buildCatalog();

export function findModel(id: string): ModelSpec | undefined {
  return MODEL_CATALOG.get(id);
}

export function listModels(): ModelSpec[] {
  return [...MODEL_CATALOG.values()];
}

/** The queue endpoint name of a model, as SeaArt spells it: `qwen-image-2.0-pro` → `qwen_image_2_0_pro`. */
export function endpointNameOf(modelId: string): string {
  return modelId.replace(/[-.]/g, '_');
}

const BY_ENDPOINT_NAME = new Map([...MODEL_CATALOG.values()].map((spec) => [endpointNameOf(spec.id), spec]));

export function modelFromEndpointName(endpoint: string): ModelSpec | undefined {
  return BY_ENDPOINT_NAME.get(endpoint);
}
