/**
 * The wire types of `/mlmom/api/`, following the server's models
 * (mlmom_lab/server/wire.py for the bodies, the core's `as_dict` for answers).
 */

export interface IProject {
  project: string;
  model: string;
  description: string;
  root: string;
  stages: string[];
}

export interface IStage {
  stage: string;
  fresh: boolean;
  reasons: string[];
  last_run: string | null;
  executed_notebook: string | null;
  notebook: string | null;
  needs: string[];
  /** The latest runs' executed notebooks, newest first. */
  runs: { run_id: string; notebook: string | null }[];
}

export interface IVersion {
  name: string;
  version: string;
  aliases: string[];
  created: number;
  run_id: string | null;
  task: string;
  metrics: Record<string, number>;
  onnx: Record<string, unknown>;
  lineage: Record<string, string>;
  description: string;
}

export interface IRegistryPage {
  model: string;
  total: number;
  /** Whether versions newer than the first shown, or older than the last, exist. */
  newer: boolean;
  older: boolean;
  versions: IVersion[];
}

export interface IAliasEvent {
  alias: string;
  from_version: string | null;
  to_version: string | null;
  action: string;
  who: string;
  when: number;
  reason: string;
}

export interface ICompareRow {
  key: string;
  a: unknown;
  b: unknown;
  same: boolean;
  delta?: number;
}

export interface ICompare {
  name: string;
  versions: [string, string];
  metrics: ICompareRow[];
  params: ICompareRow[];
  data: ICompareRow[];
}

export interface IDeployment {
  champion: string | null;
  canary: string | null;
  canary_weight: number;
  shadow: string | null;
  seq: number;
  updated_at: number;
  reason: string;
  /** Who made the latest change. */
  by: string;
}

/** A server worker's record: the deployment change (seq) it serves, or failed to apply. */
export interface IWorker {
  pid: number;
  started: number;
  /** null while it loads its first deployment. */
  seq: number | null;
  failed_seq: number | null;
  failed_reason: string;
  updated_at: number;
}

/** What a release answers: the deployment as written, and how far it reached the workers. */
export interface IRelease extends IDeployment {
  rollout: { seq: number; done: boolean; seconds: number; live: number; workers: IWorker[]; summary: string };
  message: string;
}

export interface ITraffic {
  requests: number;
  per_second: number;
  p50_ms: number | null;
  p90_ms: number | null;
  p99_ms: number | null;
}

export interface IServer {
  running: boolean;
  starting?: boolean;
  pid?: number;
  port?: number;
  url?: string;
  started_at?: number;
  deployment: IDeployment;
  /** Every live worker of the project's servers, and the change it serves. */
  workers: IWorker[];
  traffic: ITraffic & {
    seconds: number;
    errors: number;
    routes: (ITraffic & { version: string; route: string })[];
  };
}

export interface IFeatureDrift {
  feature: string;
  method: string;
  score: number;
  drifted: boolean;
  /** Share of the mean |SHAP|: on the training rows, then on the window. */
  shap_share?: [number, number];
  shap_shifted?: boolean;
}

export interface IPerformance {
  measured?: Record<string, number> | null;
  estimated?: Record<string, number> | null;
  baseline?: Record<string, number> | null;
}

export interface ICheck {
  ts: number;
  model: string;
  version: string;
  rows: number;
  dataset_drift_share: number;
  features?: IFeatureDrift[];
  performance: IPerformance;
  alerts: string[];
}

export interface IAlert {
  rule: string;
  kind: string;
  ts: number;
  model: string;
  version: string;
  value: number;
  limit: number;
  samples: number;
  message: string;
}

export interface IMonitoring {
  latest: ICheck | null;
  history: ICheck[];
  alerts: IAlert[];
  reports: string[];
}

export type JobStatus = 'queued' | 'running' | 'done' | 'failed';

export interface IJob {
  id: string;
  kind: string;
  title: string;
  status: JobStatus;
  created: number;
  started: number | null;
  finished: number | null;
  steps: Record<string, { status: string; detail: string; at: number }>;
  log?: string[];
  log_next?: number;
  result: any;
  error: { error: string; code: string } | null;
}
