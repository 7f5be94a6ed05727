/* eslint-disable */ /* Generated from wire.schema.json (python -m mlmom_lab.server.wire > wire.schema.json), in the build: change mlmom_lab/server/wire.py, not this file. */

export interface MlmomLabAPI {
  [k: string]: unknown;
}
/**
 * This interface was referenced by `MlmomLabAPI`'s JSON-Schema
 * via the `definition` "Alert".
 */
export interface Alert {
  kind: string;
  limit: number;
  message: string;
  model: string;
  rule: string;
  samples: number;
  ts: number;
  value: number;
  version: string;
}
/**
 * This interface was referenced by `MlmomLabAPI`'s JSON-Schema
 * via the `definition` "AliasEvent".
 */
export interface AliasEvent {
  action: string;
  alias: string;
  from_version: string | null;
  reason: string;
  to_version: string | null;
  when: number;
  who: string;
}
/**
 * An alias moved, and the release of what serves when it moved that.
 *
 * This interface was referenced by `MlmomLabAPI`'s JSON-Schema
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
 * This interface was referenced by `MlmomLabAPI`'s JSON-Schema
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
 * This interface was referenced by `MlmomLabAPI`'s JSON-Schema
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
 * This interface was referenced by `MlmomLabAPI`'s JSON-Schema
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
 * A canary: ``weight`` of the traffic (above 0, at most 1) goes to ``version``.
 *
 * This interface was referenced by `MlmomLabAPI`'s JSON-Schema
 * via the `definition` "CanaryRequest".
 */
export interface CanaryRequest {
  reason?: string;
  timeout?: number | null;
  version: string;
  weight?: number;
}
/**
 * This interface was referenced by `MlmomLabAPI`'s JSON-Schema
 * via the `definition` "Check".
 */
export interface Check {
  alerts: string[];
  dataset_drift_share: number;
  features?: FeatureDrift[];
  model: string;
  performance: Performance;
  rows: number;
  ts: number;
  version: string;
}
/**
 * This interface was referenced by `MlmomLabAPI`'s JSON-Schema
 * via the `definition` "FeatureDrift".
 */
export interface FeatureDrift {
  drifted: boolean;
  feature: string;
  method: string;
  score: number;
  /**
   * share of the mean |SHAP|: training rows, then the window
   */
  shap_share?: number[];
  shap_shifted?: boolean;
}
/**
 * This interface was referenced by `MlmomLabAPI`'s JSON-Schema
 * via the `definition` "Performance".
 */
export interface Performance {
  baseline?: {
    [k: string]: number;
  };
  estimated?: {
    [k: string]: number;
  };
  measured?: {
    [k: string]: number;
  };
}
/**
 * This interface was referenced by `MlmomLabAPI`'s JSON-Schema
 * via the `definition` "CompareRow".
 */
export interface CompareRow {
  a: unknown;
  b: unknown;
  delta?: number;
  key: string;
  same: boolean;
}
/**
 * This interface was referenced by `MlmomLabAPI`'s JSON-Schema
 * via the `definition` "Comparison".
 */
export interface Comparison {
  aliases: string[][];
  data: CompareRow[];
  lineage: CompareRow[];
  metrics: CompareRow[];
  name: string;
  onnx: CompareRow[];
  params: CompareRow[];
  versions: string[];
}
/**
 * This interface was referenced by `MlmomLabAPI`'s JSON-Schema
 * via the `definition` "DashboardPath".
 */
export interface DashboardPath {
  path: string | null;
}
/**
 * One of the project's Voilà dashboards.
 *
 * This interface was referenced by `MlmomLabAPI`'s JSON-Schema
 * via the `definition` "DashboardRequest".
 */
export interface DashboardRequest {
  name: 'explain' | 'drift';
}
/**
 * This interface was referenced by `MlmomLabAPI`'s JSON-Schema
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
 * This interface was referenced by `MlmomLabAPI`'s JSON-Schema
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
 * This interface was referenced by `MlmomLabAPI`'s JSON-Schema
 * via the `definition` "ExecutedRun".
 */
export interface ExecutedRun {
  notebook: string | null;
  run_id: string;
}
/**
 * This interface was referenced by `MlmomLabAPI`'s JSON-Schema
 * via the `definition` "History".
 */
export interface History {
  events: AliasEvent[];
}
/**
 * This interface was referenced by `MlmomLabAPI`'s JSON-Schema
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
 * This interface was referenced by `MlmomLabAPI`'s JSON-Schema
 * via the `definition` "JobStep".
 */
export interface JobStep {
  at: number;
  detail: string;
  status: string;
}
/**
 * This interface was referenced by `MlmomLabAPI`'s JSON-Schema
 * via the `definition` "Jobs".
 */
export interface Jobs {
  jobs: Job[];
}
/**
 * This interface was referenced by `MlmomLabAPI`'s JSON-Schema
 * via the `definition` "Monitoring".
 */
export interface Monitoring {
  alerts: Alert[];
  history: Check[];
  latest: Check | null;
  reports: string[];
}
/**
 * This interface was referenced by `MlmomLabAPI`'s JSON-Schema
 * via the `definition` "Pipeline".
 */
export interface Pipeline {
  stages: Stage[];
}
/**
 * This interface was referenced by `MlmomLabAPI`'s JSON-Schema
 * via the `definition` "Stage".
 */
export interface Stage {
  executed_notebook: string | null;
  fresh: boolean;
  last_run: string | null;
  needs: string[];
  notebook: string | null;
  reasons: string[];
  /**
   * the latest runs' executed notebooks, newest first
   */
  runs: ExecutedRun[];
  stage: string;
}
/**
 * This interface was referenced by `MlmomLabAPI`'s JSON-Schema
 * via the `definition` "ProjectInfo".
 */
export interface ProjectInfo {
  description: string;
  model: string;
  project: string;
  root: string | null;
  stages: string[];
}
/**
 * Point ``alias`` at ``version`` (the deployment follows a new champion).
 *
 * This interface was referenced by `MlmomLabAPI`'s JSON-Schema
 * via the `definition` "PromoteRequest".
 */
export interface PromoteRequest {
  alias?: string;
  reason?: string;
  timeout?: number | null;
  version: string;
}
/**
 * This interface was referenced by `MlmomLabAPI`'s JSON-Schema
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
 * This interface was referenced by `MlmomLabAPI`'s JSON-Schema
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
 * This interface was referenced by `MlmomLabAPI`'s JSON-Schema
 * via the `definition` "RegistryPage".
 */
export interface RegistryPage {
  model: string;
  /**
   * versions newer than the first shown exist
   */
  newer: boolean;
  /**
   * versions older than the last shown exist
   */
  older: boolean;
  total: number;
  versions: Version[];
}
/**
 * This interface was referenced by `MlmomLabAPI`'s JSON-Schema
 * via the `definition` "Version".
 */
export interface Version {
  aliases: string[];
  created: number;
  description: string;
  explain: {
    [k: string]: string;
  };
  kind: string;
  lineage: {
    [k: string]: string;
  };
  metrics: {
    [k: string]: number;
  };
  name: string;
  onnx: {
    [k: string]: unknown;
  };
  refuses_gaps: string[];
  run_id: string | null;
  source: string;
  task: string;
  uri: string;
  version: string;
}
/**
 * Promote the canary, roll it back, or clear canary and shadow; answered once every
 * running server worker serves the change, or after ``timeout`` seconds (default:
 * ``serving.release_timeout``) with the workers that lag.
 *
 * This interface was referenced by `MlmomLabAPI`'s JSON-Schema
 * via the `definition` "ReleaseRequest".
 */
export interface ReleaseRequest {
  reason?: string;
  timeout?: number | null;
}
/**
 * The result of a drift report job: its files (relative to the lab's root) and where
 * MLflow keeps a copy.
 *
 * This interface was referenced by `MlmomLabAPI`'s JSON-Schema
 * via the `definition` "ReportFiles".
 */
export interface ReportFiles {
  html: string | null;
  json: string | null;
  mlflow: string | null;
}
/**
 * Move ``alias`` back to the version it held before the current one.
 *
 * This interface was referenced by `MlmomLabAPI`'s JSON-Schema
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
 * This interface was referenced by `MlmomLabAPI`'s JSON-Schema
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
 * This interface was referenced by `MlmomLabAPI`'s JSON-Schema
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
 * The project's local model server, as recorded when it started.
 *
 * This interface was referenced by `MlmomLabAPI`'s JSON-Schema
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
 * This interface was referenced by `MlmomLabAPI`'s JSON-Schema
 * via the `definition` "ShadowRequest".
 */
export interface ShadowRequest {
  reason?: string;
  timeout?: number | null;
  version: string;
}
/**
 * This interface was referenced by `MlmomLabAPI`'s JSON-Schema
 * via the `definition` "Traffic".
 */
export interface Traffic {
  p50_ms: number | null;
  p90_ms: number | null;
  p99_ms: number | null;
  per_second: number;
  requests: number;
}
/**
 * A window of the prediction log for a check or a report (default: the last
 * ``monitoring.window`` rows of the champion).
 *
 * This interface was referenced by `MlmomLabAPI`'s JSON-Schema
 * via the `definition` "WindowRequest".
 */
export interface WindowRequest {
  last?: number | null;
  version?: string | null;
}
