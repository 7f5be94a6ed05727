import { IJob, IRelease, IServer, IServerMetrics } from '../types';
import { ConcernModel, FROM_THE_LAB } from './concern';
import { isLive } from './jobs';
import { MetricsHistory } from './metrics';
import { Resource } from './resource';

/** A move of the canary: promote it, roll it back, or clear canary and shadow. */
export type CanaryStep = 'promote' | 'rollback' | 'clear';

/** The deployments: the local model server, what it serves, and the releases. */
export class DeploymentsModel extends ConcernModel {
  readonly server = new Resource<IServer>(() =>
    this.context.client.get('server')
  );

  /** The readings of the server's /metrics taken while the deployment view shows. */
  readonly metrics = new MetricsHistory();

  /** Whether the last reading found a server answering. */
  get metricsRunning(): boolean {
    return this._metricsRunning;
  }

  /** Read the server's /metrics once more (the view calls it every few seconds). */
  async sample(): Promise<void> {
    const path = this.context.client.path;
    const read =
      await this.context.client.get<IServerMetrics>('server/metrics');
    if (path !== this._metricsPath) {
      this.metrics.clear(); // another project's server
      this._metricsPath = path;
    }
    this._metricsRunning = read.running;
    if (read.sample) {
      this.metrics.add(read.sample);
    } else {
      this.metrics.clear();
    }
    this.emitChanged();
  }

  /** The newest server start asked here. */
  get job(): IJob | undefined {
    return this.context.jobs.latest('server');
  }

  /** Whether a server start asked here is queued or running. */
  get starting(): boolean {
    return isLive(this.job);
  }

  /** Start the model server; rejects with the reason it did not start. */
  start(): Promise<IJob> {
    return this.context.jobs.complete('server/start');
  }

  async stop(): Promise<void> {
    await this.act('server/stop');
  }

  /** Send `weight` (0 to 1) of the requests to `version`. */
  canary(version: string, weight: number): Promise<IRelease> {
    return this.act('deployment/canary', { version, weight });
  }

  /** Let `version` answer every request too, unseen (its answers are logged). */
  shadow(version: string): Promise<IRelease> {
    return this.act('deployment/shadow', { version });
  }

  /** Promote the canary, roll it back, or clear canary and shadow. */
  release(step: CanaryStep): Promise<IRelease> {
    return this.act(`deployment/${step}`, { reason: FROM_THE_LAB });
  }

  protected fetch(): Promise<void> {
    return this.server.refresh();
  }

  private _metricsRunning = false;
  private _metricsPath = '';
}
