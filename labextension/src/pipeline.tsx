import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import {
  attempt,
  Badge,
  CancelJob,
  Empty,
  ErrorNote,
  IPanelProps,
  Section,
  Tone
} from './common';
import { IRunRequestBody } from './models';
import { IJob, IStage } from './types';

const TONE: Record<string, Tone> = {
  fresh: 'good',
  ran: 'good',
  cached: 'good',
  restored: 'good',
  stale: 'warn',
  running: 'info',
  waiting: 'muted',
  failed: 'bad',
  skipped: 'muted'
};

/** The words for a stage's or a run's status (the server's word when unknown). */
function statusLabel(trans: TranslationBundle, status: string): string {
  const labels: Record<string, string> = {
    fresh: trans.__('fresh'),
    stale: trans.__('stale'),
    ran: trans.__('ran'),
    cached: trans.__('cached'),
    restored: trans.__('restored'),
    queued: trans.__('queued'),
    running: trans.__('running'),
    waiting: trans.__('waiting'),
    done: trans.__('done'),
    failed: trans.__('failed'),
    cancelled: trans.__('cancelled'),
    skipped: trans.__('skipped')
  };
  return labels[status] ?? status;
}

/** A stage's state: the latest run started here while it runs (or failed), else the cache's. */
function stateOf(
  trans: TranslationBundle,
  stage: IStage,
  job: IJob | undefined,
  running: boolean
): { status: string; detail: string } {
  const step = job?.steps[stage.stage];
  if (step && (running || step.status === 'failed')) {
    return { status: step.status, detail: step.detail };
  }
  return stage.fresh
    ? {
        status: 'fresh',
        detail: stage.last_run ? trans.__('run %1', stage.last_run) : ''
      }
    : { status: 'stale', detail: stage.reasons.join('; ') };
}

function progressOf(trans: TranslationBundle, job: IJob): string {
  const steps = Object.values(job.steps);
  const done = steps.filter(
    s => !['waiting', 'running'].includes(s.status)
  ).length;
  return trans.__('%1 of %2 stage(s) done', done, steps.length);
}

/** The executed notebooks of the stage's latest runs (a failed run's, partly executed). */
function Runs(props: {
  stage: IStage;
  trans: TranslationBundle;
  openRun: IPanelProps['openRun'];
}): JSX.Element | null {
  const { stage, trans } = props;
  if (stage.runs.length === 0) {
    return null;
  }
  return (
    <select
      className="mlmom-runs"
      value=""
      aria-label={trans.__('executed notebooks of %1', stage.stage)}
      title={trans.__('Open the executed notebook of a run')}
      onChange={e =>
        e.target.value && props.openRun(stage.stage, e.target.value)
      }
    >
      <option value="">{trans.__('Executed…')}</option>
      {stage.runs.map(r => (
        <option key={r.run_id} value={r.run_id}>
          {r.run_id}
          {r.notebook === stage.executed_notebook ? trans.__(' (current)') : ''}
        </option>
      ))}
    </select>
  );
}

/** The latest run started here: its status, progress, error and last log lines. */
function Job(props: IPanelProps & { job: IJob }): JSX.Element {
  const { job, model, trans } = props;
  const running = model.pipeline.running;
  const log = job.log ?? [];
  return (
    <div className={`mlmom-job mlmom-job-${job.status}`} data-job={job.status}>
      <b>{job.title}</b>: {statusLabel(trans, job.status)}
      {running ? ` · ${progressOf(trans, job)}` : ''}
      <CancelJob job={job} model={model} trans={trans} />
      {job.error ? <div className="mlmom-error">{job.error.error}</div> : null}
      {log.length > 0 && (
        <pre
          className="mlmom-log"
          title={trans.__("the run's latest log lines")}
        >
          {log.slice(-4).join('\n')}
        </pre>
      )}
    </div>
  );
}

export function PipelinePanel(props: IPanelProps): JSX.Element {
  const { model, trans } = props;
  const pipeline = model.pipeline;
  const stages = pipeline.stages.data?.stages ?? [];
  const job = pipeline.job;
  const running = pipeline.running;
  const run = (body: IRunRequestBody) =>
    attempt(trans, trans.__('the pipeline run'), () => pipeline.run(body));
  return (
    <Section
      title={trans.__('Pipeline')}
      actions={
        <button
          className="jp-mod-styled jp-mod-accept"
          disabled={running}
          onClick={() => run({})}
        >
          {trans.__('Run all')}
        </button>
      }
    >
      <ErrorNote error={pipeline.stages.error} />
      {job && <Job {...props} job={job} />}
      {stages.length === 0 && !pipeline.stages.error && (
        <Empty>{trans.__('No stages in mlmom.yaml yet.')}</Empty>
      )}
      <ol className="mlmom-stages">
        {stages.map(stage => {
          const state = stateOf(trans, stage, job, running);
          return (
            <li
              key={stage.stage}
              className="mlmom-stage"
              data-stage={stage.stage}
              data-status={state.status}
            >
              <div className="mlmom-row">
                <span className="mlmom-name">{stage.stage}</span>
                <Badge tone={TONE[state.status] ?? 'muted'}>
                  {statusLabel(trans, state.status)}
                </Badge>
              </div>
              {stage.needs.length > 0 && (
                <div className="mlmom-dim">
                  {trans.__('needs %1', stage.needs.join(', '))}
                </div>
              )}
              {state.detail && (
                <div className="mlmom-detail">{state.detail}</div>
              )}
              <div className="mlmom-actions">
                <button
                  className="jp-mod-styled"
                  disabled={running}
                  onClick={() => run({ stages: [stage.stage] })}
                >
                  {trans.__('Run')}
                </button>
                <button
                  className="jp-mod-styled"
                  disabled={running}
                  onClick={() => run({ start: stage.stage })}
                >
                  {trans.__('Run from here')}
                </button>
                {stage.notebook && (
                  <button
                    className="jp-mod-styled"
                    title={stage.notebook}
                    onClick={() => props.open(stage.notebook!)}
                  >
                    {trans.__('Notebook')}
                  </button>
                )}
                <Runs stage={stage} trans={trans} openRun={props.openRun} />
              </div>
            </li>
          );
        })}
      </ol>
    </Section>
  );
}
