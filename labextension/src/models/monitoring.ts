import { IJob, IMonitoring, IReportFiles } from '../types';
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

  protected fetch(): Promise<void> {
    return this.state.refresh();
  }
}
