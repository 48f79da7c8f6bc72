/**
 * @qwen-image-gateway/client — a typed client for the DashScope-native image API of
 * qwen-image-gateway and of Alibaba's DashScope itself. No dependencies beyond `fetch`.
 */
export { createClient, type AsyncOptions, type CallOptions, type ClientOptions, type QigClient, type TaskHandle } from './client.js';
export {
  AuthenticationError,
  BadRequestError,
  ConnectionError,
  ContentBlockedError,
  DownloadError,
  InsufficientBalanceError,
  QuotaExceededError,
  NotFoundError,
  PermissionDeniedError,
  QigError,
  RateLimitError,
  ServerError,
  TaskCanceledError,
  TaskFailedError,
  TimeoutError,
} from './errors.js';
export type { DownloadOptions } from './download.js';
export type { ImageInput } from './images.js';
export type { EditModelId, EditRequest, GenerateModelId, GenerateRequest, ImageParameters } from './requests.js';
export type { ImageResult, ResultImage, TaskInfo, TaskPage, TaskStatus } from './results.js';
export type { ListOptions, RequestOptions, WaitOptions } from './tasks.js';
export type { RetryNotice } from './transport.js';
export type * as Wire from './wire.generated.js';
