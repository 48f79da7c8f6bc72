/** The answers the pages read, as the gateway sends them. */
import type { DefaultSize, SizeRule } from '../../../src/domain/models.js';

export interface SizeSpec {
  rule: SizeRule;
  default: DefaultSize;
}

/** One model of GET /v1/models. */
export interface CatalogModel {
  id: string;
  family: string;
  description: string;
  edit: boolean;
  generate: boolean;
  maxImages: number;
  maxN: number;
  promptExtend: boolean;
  maxPromptChars: number;
  maxNegativePromptChars: number;
  editSize: SizeSpec | null;
  generateSize: SizeSpec | null;
  price: { perImage: string; currency: string };
  endpoints: { seaart: string };
  /** The engine the model's route tries first; `generative: false` for the built-in CPU engine. */
  engine: { name: string; type: string; generative: boolean } | null;
}

/** The built-in CPU engine, as the catalog describes it. */
export interface BuiltInEngine {
  summary: string;
  /** The environment line that connects DashScope. */
  connect: string;
  vocabulary: string[];
  docs: string;
}

export interface Catalog {
  currency: string;
  data: CatalogModel[];
  builtInEngine: BuiltInEngine;
}

/** One entry of GET /v1/presets/negative-prompts. */
export interface NegativePreset {
  type: string;
  label: string;
  en: string;
  zh: string;
}

export type TaskStatus = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELED' | 'UNKNOWN';

/** The `output` of GET /api/v1/tasks/{id}, and an item of GET /api/v1/tasks. */
export interface TaskOutput {
  task_id: string;
  task_status: TaskStatus;
  submit_time?: string;
  scheduled_time?: string;
  end_time?: string;
  results?: Array<{ url: string; orig_prompt?: string; actual_prompt?: string }>;
  code?: string;
  message?: string;
  warnings?: string[];
  model_name?: string;
}

export interface TaskQuery {
  output: TaskOutput;
  usage?: { image_count?: number };
}

export interface TaskList {
  data: TaskOutput[];
  total: number;
  page_no: number;
  page_size: number;
}

export interface Balance {
  keyId: string;
  name: string;
  balance: string | null;
  held: string;
  currency: string;
}
