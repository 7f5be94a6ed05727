import {
  IJob,
  ILoggedRequests,
  IMonitoring,
  IReportFiles,
  IRequestExplanation
} from '../types';
import { ConcernModel } from './concern';
import { isLive } from './jobs';
import { Resource } from './resource';

/** The Voilà dashboards a project has. */
export type DashboardName = 'drift' | 'explain';

/** The job kinds of monitoring. */
const KINDS = ['check', 'report'];

/** Monitoring: the latest check's drift, performance over windows, alerts, reports. */
export class MonitoringModel extends ConcernModel {
  readonly state = new Resource<IMonitoring>(() =>
    this.context.client.get('monitoring')
  );

  /** The check or report started here that still runs, if any. */
  get job(): IJob | undefined {
    return KINDS.map(kind => this.context.jobs.latest(kind)).find(isLive);
  }

  /** Whether a check or a report started here is queued or running. */
  get busy(): boolean {
    return this.job !== undefined;
  }

  /** Run a monitoring check; rejects with the reason it failed. */
  check(): Promise<IJob> {
    return this.context.jobs.complete('monitoring/check');
  }

  /** Write a drift report; resolves with its HTML file, or null when cancelled. */
  async report(): Promise<string | null> {
    const job = await this.context.jobs.complete('monitoring/report');
    return job.status === 'done'
      ? ((job.result as IReportFiles | null)?.html ?? null)
      : null;
  }

  /** Make a dashboard's notebook in the project; resolves with its path. */
  async dashboard(name: DashboardName): Promise<string | null> {
    const answer = await this.act<{ path: string | null }>('dashboards/open', {
      name
    });
    return answer.path;
  }

  /** The newest logged requests of the project's model (any version). */
  requests(limit = 20): Promise<ILoggedRequests> {
    return this.context.client.get('monitoring/requests', {
      limit: String(limit)
    });
  }

  /** One row of a logged request explained by SHAP, by the version that answered it. */
  explain(requestId: string, row = 0): Promise<IRequestExplanation> {
    return this.context.client.get('explain/request', {
      id: requestId,
      row: String(row)
    });
  }

  protected fetch(): Promise<void> {
    return this.state.refresh();
  }
}
