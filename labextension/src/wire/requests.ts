/* eslint-disable */ /* Generated from wire/requests.schema.json (python -m mlmom_lab.server.wire_schema labextension/wire), in the build: change mlmom_lab/server/wire.py, not this file. */

/**
 * what the lab sends
 */
export interface MlmomLabAPIRequests {
  [k: string]: unknown;
}
/**
 * A canary: ``weight`` of the traffic (above 0, at most 1) goes to ``version``.
 *
 * This interface was referenced by `MlmomLabAPIRequests`'s JSON-Schema
 * via the `definition` "CanaryRequest".
 */
export interface CanaryRequest {
  reason?: string;
  timeout?: number | null;
  version: string;
  weight?: number;
}
/**
 * One of the project's Voilà dashboards.
 *
 * This interface was referenced by `MlmomLabAPIRequests`'s JSON-Schema
 * via the `definition` "DashboardRequest".
 */
export interface DashboardRequest {
  name: 'explain' | 'drift';
}
/**
 * Approve or reject ``version``, saying why.
 *
 * This interface was referenced by `MlmomLabAPIRequests`'s JSON-Schema
 * via the `definition` "DecisionRequest".
 */
export interface DecisionRequest {
  /**
   * why: kept in the audit trail
   */
  reason: string;
  version: string;
}
/**
 * Point ``alias`` at ``version`` (the deployment follows a new champion).
 *
 * This interface was referenced by `MlmomLabAPIRequests`'s JSON-Schema
 * via the `definition` "PromoteRequest".
 */
export interface PromoteRequest {
  alias?: string;
  reason?: string;
  timeout?: number | null;
  version: string;
}
/**
 * Promote the canary, roll it back, or clear canary and shadow; answered once every
 * running server worker serves the change, or after ``timeout`` seconds (default:
 * ``serving.release_timeout``) with the workers that lag.
 *
 * This interface was referenced by `MlmomLabAPIRequests`'s JSON-Schema
 * via the `definition` "ReleaseRequest".
 */
export interface ReleaseRequest {
  reason?: string;
  timeout?: number | null;
}
/**
 * Move ``alias`` back to the version it held before the current one.
 *
 * This interface was referenced by `MlmomLabAPIRequests`'s JSON-Schema
 * via the `definition` "RollbackRequest".
 */
export interface RollbackRequest {
  alias?: string;
  reason?: string;
  timeout?: number | null;
}
/**
 * Run the pipeline: all of it, ``stages`` (and what they need), or ``start`` onwards.
 *
 * This interface was referenced by `MlmomLabAPIRequests`'s JSON-Schema
 * via the `definition` "RunRequest".
 */
export interface RunRequest {
  force?: boolean;
  params?: {
    [k: string]: {
      [k: string]: unknown;
    };
  };
  stages?: string[];
  start?: string | null;
}
/**
 * This interface was referenced by `MlmomLabAPIRequests`'s JSON-Schema
 * via the `definition` "ShadowRequest".
 */
export interface ShadowRequest {
  reason?: string;
  timeout?: number | null;
  version: string;
}
/**
 * A window of the prediction log for a check or a report (default: the last
 * ``monitoring.window`` rows of the champion).
 *
 * This interface was referenced by `MlmomLabAPIRequests`'s JSON-Schema
 * via the `definition` "WindowRequest".
 */
export interface WindowRequest {
  last?: number | null;
  version?: string | null;
}
