/**
 * What services report to metrics, as a port: the composition root hands them the Prometheus
 * implementation (`http/metrics.ts`), unit tests the no-op one. Only bounded values pass here.
 */
import type { ErrorKind } from '../domain/errors.js';
import type { ImageRule } from '../images/rejection.js';
import type { SafeFetchErrorReason } from '../lib/url-guard.js';

/**
 * Why an input was refused before any task existed: an intake rule the image broke, why its URL
 * could not be downloaded, or why its request body was refused while arriving.
 */
export type IntakeRejection = ImageRule | `url_${SafeFetchErrorReason}` | 'body_overloaded' | 'body_timeout';

/** An engine call that failed, in catalog terms with the upstream's own code when it gave one. */
export interface UpstreamFailure {
  kind: ErrorKind;
  upstreamCode: string | undefined;
}

export interface ServiceMetrics {
  /** One call to an engine (start or poll) ended; `failure` null when it answered. */
  upstreamCall(engine: string, call: 'start' | 'poll', failure: UpstreamFailure | null): void;
  /** An input image's bytes, received (downloaded or in the request) and about to be checked. */
  intakeBytes(source: 'url' | 'inline', bytes: number): void;
  intakeRejected(reason: IntakeRejection): void;
}

export const NO_METRICS: ServiceMetrics = {
  upstreamCall() {},
  intakeBytes() {},
  intakeRejected() {},
};
