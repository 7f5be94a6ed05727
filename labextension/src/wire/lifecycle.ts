/* eslint-disable */ /* Generated from wire/lifecycle.schema.json (python -m mlmom_lab.server.wire_schema labextension/wire), in the build: change mlmom_lab/server/wire.py, not this file. */

/**
 * what the panels read: the project, its pipeline, registry and monitoring
 */
export interface MlmomLabAPILifecycle {
  [k: string]: unknown;
}
/**
 * This interface was referenced by `MlmomLabAPILifecycle`'s JSON-Schema
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
 * This interface was referenced by `MlmomLabAPILifecycle`'s JSON-Schema
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
 * One thing that happened to the model (see :mod:`mlmom_lab.audit`).
 *
 * This interface was referenced by `MlmomLabAPILifecycle`'s JSON-Schema
 * via the `definition` "AuditEvent".
 */
export interface AuditEvent {
  kind: 'registration' | 'gate' | 'approval' | 'alias' | 'deployment' | 'alert' | 'retraining' | 'erasure';
  version: string | null;
  what: string;
  when: number;
  who: string;
  why: string;
}
/**
 * This interface was referenced by `MlmomLabAPILifecycle`'s JSON-Schema
 * via the `definition` "AuditTrail".
 */
export interface AuditTrail {
  /**
   * newest first, at most ?limit=
   */
  events: AuditEvent[];
  total: number;
}
/**
 * This interface was referenced by `MlmomLabAPILifecycle`'s JSON-Schema
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
 * This interface was referenced by `MlmomLabAPILifecycle`'s JSON-Schema
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
 * This interface was referenced by `MlmomLabAPILifecycle`'s JSON-Schema
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
 * This interface was referenced by `MlmomLabAPILifecycle`'s JSON-Schema
 * via the `definition` "CompareRow".
 */
export interface CompareRow {
  key: string;
  same: boolean;
  /**
   * each version's value, oldest version first
   */
  values: unknown[];
}
/**
 * This interface was referenced by `MlmomLabAPILifecycle`'s JSON-Schema
 * via the `definition` "Comparison".
 */
export interface Comparison {
  data: CompareRow[];
  lineage: CompareRow[];
  metrics: CompareRow[];
  name: string;
  onnx: CompareRow[];
  params: CompareRow[];
  /**
   * oldest first
   */
  versions: Version[];
}
/**
 * This interface was referenced by `MlmomLabAPILifecycle`'s JSON-Schema
 * via the `definition` "Version".
 */
export interface Version {
  aliases: string[];
  /**
   * status, who, when, why; {} while pending
   */
  approval: {
    [k: string]: unknown;
  };
  created: number;
  description: string;
  explain: {
    [k: string]: string;
  };
  /**
   * the last quality gate's result, {} before one
   */
  gate: {
    [k: string]: unknown;
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
  registered_by: string;
  run_id: string | null;
  source: string;
  task: string;
  uri: string;
  version: string;
}
/**
 * This interface was referenced by `MlmomLabAPILifecycle`'s JSON-Schema
 * via the `definition` "Contribution".
 */
export interface Contribution {
  contribution: number;
  feature: string;
  /**
   * the feature's value in the request
   */
  value: {
    [k: string]: unknown;
  };
}
/**
 * This interface was referenced by `MlmomLabAPILifecycle`'s JSON-Schema
 * via the `definition` "DashboardPath".
 */
export interface DashboardPath {
  path: string | null;
}
/**
 * This interface was referenced by `MlmomLabAPILifecycle`'s JSON-Schema
 * via the `definition` "ExecutedRun".
 */
export interface ExecutedRun {
  notebook: string | null;
  run_id: string;
}
/**
 * This interface was referenced by `MlmomLabAPILifecycle`'s JSON-Schema
 * via the `definition` "History".
 */
export interface History {
  events: AliasEvent[];
}
/**
 * This interface was referenced by `MlmomLabAPILifecycle`'s JSON-Schema
 * via the `definition` "LoggedRequest".
 */
export interface LoggedRequest {
  n_rows: number;
  request_id: string;
  route: string;
  ts: number;
  version: string;
}
/**
 * This interface was referenced by `MlmomLabAPILifecycle`'s JSON-Schema
 * via the `definition` "LoggedRequests".
 */
export interface LoggedRequests {
  /**
   * newest first
   */
  requests: LoggedRequest[];
}
/**
 * This interface was referenced by `MlmomLabAPILifecycle`'s JSON-Schema
 * via the `definition` "Loop".
 */
export interface Loop {
  canary: string | null;
  champion: string | null;
  since: number | null;
  state: 'idle' | 'approval' | 'canary';
  /**
   * the latest steps, oldest first
   */
  steps: LoopStep[];
}
/**
 * This interface was referenced by `MlmomLabAPILifecycle`'s JSON-Schema
 * via the `definition` "LoopStep".
 */
export interface LoopStep {
  message: string;
  /**
   * how far the loop went in this step
   */
  phase: 'retrain' | 'offline comparison' | 'approval' | 'canary' | 'promoted' | 'rolled back';
  state: string;
  ts: number;
}
/**
 * This interface was referenced by `MlmomLabAPILifecycle`'s JSON-Schema
 * via the `definition` "Monitoring".
 */
export interface Monitoring {
  alerts: Alert[];
  history: Check[];
  latest: Check | null;
  loop: Loop;
  reports: string[];
}
/**
 * This interface was referenced by `MlmomLabAPILifecycle`'s JSON-Schema
 * via the `definition` "Pipeline".
 */
export interface Pipeline {
  stages: Stage[];
}
/**
 * This interface was referenced by `MlmomLabAPILifecycle`'s JSON-Schema
 * via the `definition` "Stage".
 */
export interface Stage {
  executed_notebook: string | null;
  fresh: boolean;
  last_run: string | null;
  needs: string[];
  notebook: string | null;
  /**
   * the spec's parameters, in its order
   */
  params: StageParam[];
  reasons: string[];
  /**
   * the latest runs' executed notebooks, newest first
   */
  runs: ExecutedRun[];
  stage: string;
  /**
   * the reasons in a few words: '12 packages changed'
   */
  summary: string;
}
/**
 * This interface was referenced by `MlmomLabAPILifecycle`'s JSON-Schema
 * via the `definition` "StageParam".
 */
export interface StageParam {
  name: string;
  /**
   * the spec value's type: an override must keep it (an int may stand for a float)
   */
  type: 'int' | 'float' | 'bool' | 'str' | 'list' | 'dict' | 'null';
  value: unknown;
}
/**
 * This interface was referenced by `MlmomLabAPILifecycle`'s JSON-Schema
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
 * This interface was referenced by `MlmomLabAPILifecycle`'s JSON-Schema
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
 * The result of a drift report job: its files (relative to the lab's root) and where
 * MLflow keeps a copy.
 *
 * This interface was referenced by `MlmomLabAPILifecycle`'s JSON-Schema
 * via the `definition` "ReportFiles".
 */
export interface ReportFiles {
  html: string | null;
  json: string | null;
  mlflow: string | null;
}
/**
 * This interface was referenced by `MlmomLabAPILifecycle`'s JSON-Schema
 * via the `definition` "RequestExplanation".
 */
export interface RequestExplanation {
  base: number;
  /**
   * largest magnitude first
   */
  contributions: Contribution[];
  logged_prediction: unknown;
  method: string;
  output: number;
  output_name: string;
  request_id: string;
  row: number;
  version: string;
}
