/* eslint-disable */ /* Generated from wire/operations.schema.json (python -m mlmom_lab.server.wire_schema labextension/wire), in the build: change mlmom_lab/server/wire.py, not this file. */

/**
 * what serves and what runs: the deployment, the server, releases, jobs and errors
 */
export interface MlmomLabAPIOperations {
  [k: string]: unknown;
}
/**
 * An alias moved, and the release of what serves when it moved that.
 *
 * This interface was referenced by `MlmomLabAPIOperations`'s JSON-Schema
 * via the `definition` "AliasMove".
 */
export interface AliasMove {
  action: string;
  alias: string;
  from_version: string | null;
  reason: string;
  release: Release | null;
  to_version: string | null;
  when: number;
  who: string;
}
/**
 * A release: the deployment as written, and how far it reached the workers.
 *
 * This interface was referenced by `MlmomLabAPIOperations`'s JSON-Schema
 * via the `definition` "Release".
 */
export interface Release {
  /**
   * who made the latest change
   */
  by: string;
  canary: string | null;
  canary_weight: number;
  champion: string | null;
  message: string;
  reason: string;
  rollout: Rollout;
  seq: number;
  shadow: string | null;
  updated_at: number;
}
/**
 * This interface was referenced by `MlmomLabAPIOperations`'s JSON-Schema
 * via the `definition` "Rollout".
 */
export interface Rollout {
  done: boolean;
  live: number;
  seconds: number;
  seq: number;
  summary: string;
  workers: Worker[];
}
/**
 * A serving worker's record: the deployment change (seq) it serves, or failed to apply.
 *
 * This interface was referenced by `MlmomLabAPIOperations`'s JSON-Schema
 * via the `definition` "Worker".
 */
export interface Worker {
  failed_reason: string;
  failed_seq: number | null;
  /**
   * the state folder whose deployment it follows
   */
  follows: string;
  pid: number;
  /**
   * null while it loads its first deployment
   */
  seq: number | null;
  started: number;
  updated_at: number;
}
/**
 * A decision on a version: approved or rejected, by whom, when and why.
 *
 * This interface was referenced by `MlmomLabAPIOperations`'s JSON-Schema
 * via the `definition` "Approval".
 */
export interface Approval {
  status: 'pending' | 'approved' | 'rejected';
  version: string;
  when: number;
  who: string;
  why: string;
}
/**
 * This interface was referenced by `MlmomLabAPIOperations`'s JSON-Schema
 * via the `definition` "Deployment".
 */
export interface Deployment {
  /**
   * who made the latest change
   */
  by: string;
  canary: string | null;
  canary_weight: number;
  champion: string | null;
  reason: string;
  seq: number;
  shadow: string | null;
  updated_at: number;
}
/**
 * Every failure: what is wrong, and its code (``internal`` for a bug of ours).
 *
 * This interface was referenced by `MlmomLabAPIOperations`'s JSON-Schema
 * via the `definition` "ErrorBody".
 */
export interface ErrorBody {
  code: string;
  error: string;
  release?: Release1;
}
/**
 * A release: the deployment as written, and how far it reached the workers.
 */
export interface Release1 {
  /**
   * who made the latest change
   */
  by: string;
  canary: string | null;
  canary_weight: number;
  champion: string | null;
  message: string;
  reason: string;
  rollout: Rollout;
  seq: number;
  shadow: string | null;
  updated_at: number;
}
/**
 * This interface was referenced by `MlmomLabAPIOperations`'s JSON-Schema
 * via the `definition` "Job".
 */
export interface Job {
  created: number;
  error: ErrorBody | null;
  finished: number | null;
  id: string;
  kind: string;
  /**
   * from line ?log_from= on
   */
  log?: string[];
  log_next?: number;
  project: string | null;
  result: unknown;
  started: number | null;
  status: 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
  steps: {
    [k: string]: JobStep;
  };
  /**
   * it can be cancelled while it runs, not only queued
   */
  stoppable: boolean;
  title: string;
}
/**
 * This interface was referenced by `MlmomLabAPIOperations`'s JSON-Schema
 * via the `definition` "JobStep".
 */
export interface JobStep {
  /**
   * when the step took this status
   */
  at: number;
  /**
   * [done, total] code cells of a stage's notebook as it runs
   */
  cells?: number[];
  detail: string;
  status: string;
}
/**
 * This interface was referenced by `MlmomLabAPIOperations`'s JSON-Schema
 * via the `definition` "Jobs".
 */
export interface Jobs {
  jobs: Job[];
}
/**
 * This interface was referenced by `MlmomLabAPIOperations`'s JSON-Schema
 * via the `definition` "MetricsSample".
 */
export interface MetricsSample {
  at: number;
  in_flight: number;
  routes: RouteCounters[];
  shadow: ShadowCounters[];
  /**
   * refused before a version was chosen
   */
  unrouted_errors: number;
}
/**
 * This interface was referenced by `MlmomLabAPIOperations`'s JSON-Schema
 * via the `definition` "RouteCounters".
 */
export interface RouteCounters {
  /**
   * the latency histogram: [upper bound in seconds (null: +Inf), cumulative count]
   */
  buckets: (number | null)[][];
  errors: number;
  requests: number;
  route: string;
  version: string;
}
/**
 * This interface was referenced by `MlmomLabAPIOperations`'s JSON-Schema
 * via the `definition` "ShadowCounters".
 */
export interface ShadowCounters {
  agree: number;
  disagree: number;
  version: string;
}
/**
 * This interface was referenced by `MlmomLabAPIOperations`'s JSON-Schema
 * via the `definition` "RecentTraffic".
 */
export interface RecentTraffic {
  errors: number;
  p50_ms: number | null;
  p90_ms: number | null;
  p99_ms: number | null;
  per_second: number;
  requests: number;
  routes: RouteTraffic[];
  seconds: number;
}
/**
 * This interface was referenced by `MlmomLabAPIOperations`'s JSON-Schema
 * via the `definition` "RouteTraffic".
 */
export interface RouteTraffic {
  p50_ms: number | null;
  p90_ms: number | null;
  p99_ms: number | null;
  per_second: number;
  requests: number;
  route: string;
  version: string;
}
/**
 * This interface was referenced by `MlmomLabAPIOperations`'s JSON-Schema
 * via the `definition` "Server".
 */
export interface Server {
  deployment: Deployment;
  pid?: number;
  port?: number;
  running: boolean;
  started_at?: number;
  started_by?: string;
  starting?: boolean;
  traffic: RecentTraffic;
  url?: string;
  /**
   * every live worker of the project's servers
   */
  workers: Worker[];
}
/**
 * This interface was referenced by `MlmomLabAPIOperations`'s JSON-Schema
 * via the `definition` "ServerMetrics".
 */
export interface ServerMetrics {
  running: boolean;
  sample: MetricsSample | null;
}
/**
 * The project's local model server, as recorded when it started.
 *
 * This interface was referenced by `MlmomLabAPIOperations`'s JSON-Schema
 * via the `definition` "ServerRecord".
 */
export interface ServerRecord {
  pid?: number;
  port?: number;
  running: boolean;
  started_at?: number;
  started_by?: string;
  starting?: boolean;
  url?: string;
}
/**
 * This interface was referenced by `MlmomLabAPIOperations`'s JSON-Schema
 * via the `definition` "Traffic".
 */
export interface Traffic {
  p50_ms: number | null;
  p90_ms: number | null;
  p99_ms: number | null;
  per_second: number;
  requests: number;
}
