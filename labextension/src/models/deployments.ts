import { IJob, IRelease, IServer } from '../types';
import { ConcernModel, FROM_THE_LAB } from './concern';
import { isLive } from './jobs';
import { Resource } from './resource';

/** A move of the canary: promote it, roll it back, or clear canary and shadow. */
export type CanaryStep = 'promote' | 'rollback' | 'clear';

/** The deployments: the local model server, what it serves, and the releases. */
export class DeploymentsModel extends ConcernModel {
  readonly server = new Resource<IServer>(() =>
    this.context.client.get('server')
  );

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
}
