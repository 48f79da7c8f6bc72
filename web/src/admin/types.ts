/** The admin API's answers, as the console reads them. */
export interface AdminKey {
  id: string;
  name: string;
  prefix: string;
  balance: string | null;
  createdAt: string;
  revokedAt: string | null;
  expiresAt: string | null;
  rateLimitPerMinute: number | null;
  maxInFlight: number | null;
  models: string[] | null;
}

export interface UsageRecord {
  taskId: string;
  keyId: string;
  model: string;
  images: number;
  unitPrice: string;
  amount: string;
  currency: string;
  content: string;
  createdAt: string;
}

export interface UsageAnswer {
  data: UsageRecord[];
  total: number;
  totals: { images: number; amount: string; currency: string };
}

export interface AdminTask {
  id: string;
  keyId: string;
  model: string;
  kind: string;
  status: string;
  origin: string;
  engine: string | null;
  prompt: string;
  n: number;
  size: string;
  inputs: number;
  outputs: number;
  attempts: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  queuedMs: number | null;
  runMs: number | null;
  error: { kind: string; message: string; field?: string } | null;
  warnings: string[];
  billing: { state: string; unitPrice: string; held: string; charged: string | null; currency: string };
}

export interface TaskPage {
  data: AdminTask[];
  total: number;
  limit: number;
  offset: number;
}

export interface EngineView {
  name: string;
  type: string;
  models: string[] | '*';
  capabilities: {
    models: string[] | '*';
    maxImagesPerCall: number;
    watermark: boolean;
    negativePrompt: boolean;
    promptExtend: boolean;
    seed: boolean;
    cancelRunning: boolean;
  } | null;
  routes: Array<{ model: string; position: number; of: number }>;
  health?: {
    state: string;
    consecutiveFailures: number;
    retryAt: string | null;
    inFlight: number;
    waiting: number;
    maxConcurrent: number | null;
    outputs: string;
  };
}

export interface EnginesAnswer {
  data: EngineView[];
  routes: Record<string, string[]>;
}

// The catalog's admin API (decision 0011): the server's own view types.
export type { CatalogView, ChannelTestResult, ChannelView, CredentialView } from '../../../src/services/channels/catalog-api.js';
export type { PriceSettings, RouteEntry } from '../../../src/domain/channels.js';
export type { MarginLine, MarginsAnswer } from '../../../src/http/margins-report.js';

export interface AuditView {
  id: number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  before: unknown;
  after: unknown;
}

// Customers (users, groups, top-up codes): the admin API's answers.
export interface Budget {
  amount: string;
  period: 'day' | 'month';
}

export interface UserLimits {
  rateLimitPerMinute: number | null;
  maxInFlight: number | null;
  models: string[] | null;
  budget: Budget | null;
}

export interface AdminUser extends UserLimits {
  id: string;
  name: string;
  email: string | null;
  group: string;
  balance: string | null;
  createdAt: string;
  disabledAt: string | null;
}

export interface UserKey extends UserLimits {
  id: string;
  name: string;
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
  expiresAt: string | null;
}

export interface UserDetail extends AdminUser {
  held: string;
  keys: UserKey[];
}

export interface UserPage {
  data: AdminUser[];
  total: number;
}

export interface PriceGroup {
  name: string;
  description: string;
  multiplier: string;
  overrides: Record<string, string>;
  users?: number;
  updatedAt: string | null;
}

export interface CodeBatch {
  id: string;
  name: string;
  amount: string;
  count: number;
  redeemed: number;
  expiresAt: string | null;
  createdAt: string;
  revokedAt: string | null;
}

/** The answer to creating a batch: the codes' text, this once. */
export interface NewCodeBatch extends CodeBatch {
  currency: string;
  codes: string[];
}

export interface BatchDetail extends CodeBatch {
  codes: Array<{ prefix: string; redeemedAt: string | null; userId: string | null; keyId: string | null }>;
}
