import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import {
  attempt,
  Badge,
  CancelJob,
  Empty,
  ErrorNote,
  IPanelProps,
  Section
} from './common';
import { IRunRequestBody } from './models';
import { progressOf, stateOf, statusLabel, TONE } from './stage-state';
import { IJob, IStage } from './types';

/** The executed notebooks of the stage's latest runs (a failed run's, partly executed). */
export function Runs(props: {
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
        <React.Fragment>
          <button
            className="jp-mod-styled"
            title={trans.__('The pipeline as a graph in the main area')}
            onClick={() => props.openGraph()}
          >
            {trans.__('Graph')}
          </button>
          <button
            className="jp-mod-styled jp-mod-accept"
            disabled={running}
            onClick={() => run({})}
          >
            {trans.__('Run all')}
          </button>
        </React.Fragment>
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
                <Badge
                  tone={TONE[state.status] ?? 'muted'}
                  title={state.detail}
                >
                  {statusLabel(trans, state.status)}
                </Badge>
              </div>
              {stage.needs.length > 0 && (
                <div className="mlmom-dim">
                  {trans.__('needs %1', stage.needs.join(', '))}
                </div>
              )}
              {state.short && (
                <div className="mlmom-detail" title={state.detail}>
                  {state.short}
                </div>
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
