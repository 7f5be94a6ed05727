import { PageConfig, URLExt } from '@jupyterlab/coreutils';

import { IJob, IPipeline, IRunRequest } from '../types';
import { ConcernModel } from './concern';
import { isLive } from './jobs';
import { Resource } from './resource';

/** What to run: all stages (empty), some stages (and what they need), or from one on. */
export type IRunRequestBody = IRunRequest;

/** The pipeline: its stages and their freshness, and the runs started here. */
export class PipelineModel extends ConcernModel {
  readonly stages = new Resource<IPipeline>(() =>
    this.context.client.get('pipeline')
  );

  /** The newest pipeline run started here. */
  get job(): IJob | undefined {
    return this.context.jobs.latest('pipeline');
  }

  /** Whether a run started here is queued or running. */
  get running(): boolean {
    return isLive(this.job);
  }

  /** Run the pipeline and follow the run; a failed run shows in the panel. */
  run(body: IRunRequestBody = {}): Promise<IJob> {
    return this.context.jobs.start('pipeline/run', body);
  }

  /** The URL of one run's executed notebook of a stage, rendered read-only. */
  executedUrl(stage: string, runId: string): string {
    return (
      URLExt.join(PageConfig.getBaseUrl(), 'mlmom/api/pipeline/executed') +
      URLExt.objectToQueryString({
        path: this.context.client.path,
        run: runId,
        stage
      })
    );
  }

  protected fetch(): Promise<void> {
    return this.stages.refresh();
  }
}
