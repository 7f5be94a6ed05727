/**
 * The wire types of `/mlmom/api/` under the names the views use. They are generated
 * (`src/wire.ts`, in the build) from the server's models in `mlmom_lab/server/wire.py`:
 * change them there, never here.
 */
import * as wire from './wire';

export type IProject = wire.ProjectInfo;
export type IStage = wire.Stage;
export type IPipeline = wire.Pipeline;
export type IVersion = wire.Version;
export type IRegistryPage = wire.RegistryPage;
export type IAliasEvent = wire.AliasEvent;
export type IHistory = wire.History;
export type ICompareRow = wire.CompareRow;
export type ICompare = wire.Comparison;
export type IDeployment = wire.Deployment;
/** A server worker's record: the deployment change (seq) it serves, or failed to apply. */
export type IWorker = wire.Worker;
/** What a release answers: the deployment as written, and how far it reached the workers. */
export type IRelease = wire.Release;
export type IAliasMove = wire.AliasMove;
export type ITraffic = wire.Traffic;
export type IServer = wire.Server;
export type IFeatureDrift = wire.FeatureDrift;
export type IPerformance = wire.Performance;
export type ICheck = wire.Check;
export type IAlert = wire.Alert;
export type IMonitoring = wire.Monitoring;
export type IJob = wire.Job;
export type IJobs = wire.Jobs;
export type JobStatus = wire.Job['status'];
export type IErrorBody = wire.ErrorBody;
export type IRunRequest = wire.RunRequest;
export type ICanaryRequest = wire.CanaryRequest;
export type IReportFiles = wire.ReportFiles;
