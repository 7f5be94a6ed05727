/**
 * The wire types of `/mlmom/api/` under the names the views use. They are generated
 * (`src/wire/`, in the build) from the server's models in `mlmom_lab/server/wire.py`:
 * change them there, never here.
 */
import * as lifecycle from './wire/lifecycle';
import * as operations from './wire/operations';
import * as requests from './wire/requests';

export type IProject = lifecycle.ProjectInfo;
export type IStage = lifecycle.Stage;
export type IStageParam = lifecycle.StageParam;
export type IPipeline = lifecycle.Pipeline;
export type IVersion = lifecycle.Version;
export type IRegistryPage = lifecycle.RegistryPage;
export type IAliasEvent = lifecycle.AliasEvent;
export type IHistory = lifecycle.History;
export type IAuditEvent = lifecycle.AuditEvent;
export type IAuditTrail = lifecycle.AuditTrail;
export type ICompareRow = lifecycle.CompareRow;
export type ICompare = lifecycle.Comparison;
export type IDeployment = operations.Deployment;
/** A server worker's record: the deployment change (seq) it serves, or failed to apply. */
export type IWorker = operations.Worker;
/** What a release answers: the deployment as written, and how far it reached the workers. */
export type IRelease = operations.Release;
export type IAliasMove = operations.AliasMove;
/** A decision on a version: approved or rejected, by whom, when and why. */
export type IApproval = operations.Approval;
export type IDecisionRequest = requests.DecisionRequest;
export type ITraffic = operations.Traffic;
export type IServer = operations.Server;
export type IServerMetrics = operations.ServerMetrics;
export type IMetricsSample = operations.MetricsSample;
export type IFeatureDrift = lifecycle.FeatureDrift;
export type IPerformance = lifecycle.Performance;
export type ICheck = lifecycle.Check;
export type IAlert = lifecycle.Alert;
export type IMonitoring = lifecycle.Monitoring;
export type IJob = operations.Job;
export type IJobs = operations.Jobs;
export type JobStatus = operations.Job['status'];
export type IErrorBody = operations.ErrorBody;
export type IRunRequest = requests.RunRequest;
export type ICanaryRequest = requests.CanaryRequest;
export type IReportFiles = lifecycle.ReportFiles;
export type ILoop = lifecycle.Loop;
export type ILoopStep = lifecycle.LoopStep;
export type ILoggedRequests = lifecycle.LoggedRequests;
export type IRequestExplanation = lifecycle.RequestExplanation;
