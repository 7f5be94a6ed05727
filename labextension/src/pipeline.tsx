import * as React from 'react';

import { attempt, Badge, Empty, ErrorNote, IPanelProps, Section } from './common';
import { IJob, IStage } from './types';

const TONE: Record<string, 'good' | 'warn' | 'bad' | 'info' | 'muted'> = {
  fresh: 'good', ran: 'good', cached: 'good', restored: 'good',
  stale: 'warn', running: 'info', waiting: 'muted', failed: 'bad', skipped: 'muted'
};

/** A stage's state: the latest run started here while it runs (or failed), else the cache's. */
function stateOf(stage: IStage, job: IJob | undefined): { status: string; detail: string } {
  const step = job?.steps[stage.stage];
  const live = job && (job.status === 'running' || job.status === 'queued');
  if (step && (live || step.status === 'failed')) {
    return { status: step.status, detail: step.detail };
  }
  return stage.fresh
    ? { status: 'fresh', detail: stage.last_run ? `run ${stage.last_run}` : '' }
    : { status: 'stale', detail: stage.reasons.join('; ') };
}

function progressOf(job: IJob): string {
  const steps = Object.values(job.steps);
  const done = steps.filter(s => !['waiting', 'running'].includes(s.status)).length;
  return `${done} of ${steps.length} stage(s) done`;
}

/** The executed notebooks of the stage's latest runs (a failed run's, partly executed). */
function Runs(props: { stage: IStage; openRun: IPanelProps['openRun'] }): JSX.Element | null {
  const { stage } = props;
  if (stage.runs.length === 0) {
    return null;
  }
  return (
    <select className="mlmom-runs" value="" aria-label={`executed notebooks of ${stage.stage}`}
      title="Open the executed notebook of a run"
      onChange={e => e.target.value && props.openRun(stage.stage, e.target.value)}>
      <option value="">Executed…</option>
      {stage.runs.map(r => (
        <option key={r.run_id} value={r.run_id}>
          {r.run_id}{r.notebook === stage.executed_notebook ? ' (current)' : ''}</option>
      ))}
    </select>
  );
}

export function PipelinePanel(props: IPanelProps): JSX.Element {
  const { model } = props;
  const stages = model.pipeline.data?.stages ?? [];
  const job = model.latestJob('pipeline');
  const running = job?.status === 'running' || job?.status === 'queued';
  const run = (body: object) =>
    attempt('the pipeline run', () => model.runJob('pipeline/run', body));
  return (
    <Section
      title="Pipeline"
      actions={
        <button className="jp-mod-styled jp-mod-accept" disabled={running}
          onClick={() => run({})}>Run all</button>
      }
    >
      <ErrorNote error={model.pipeline.error} />
      {job && (
        <div className={`mlmom-job mlmom-job-${job.status}`} data-job={job.status}>
          <b>{job.title}</b>: {job.status}
          {running ? ` · ${progressOf(job)}` : ''}
          {job.error ? <div className="mlmom-error">{job.error.error}</div> : null}
          {(job.log ?? []).length > 0 && (
            <pre className="mlmom-log" title="the run's latest log lines">
              {job.log!.slice(-4).join('\n')}</pre>
          )}
        </div>
      )}
      {stages.length === 0 && !model.pipeline.error && <Empty>No stages in mlmom.yaml yet.</Empty>}
      <ol className="mlmom-stages">
        {stages.map(stage => {
          const state = stateOf(stage, job);
          return (
            <li key={stage.stage} className="mlmom-stage" data-stage={stage.stage}
              data-status={state.status}>
              <div className="mlmom-row">
                <span className="mlmom-name">{stage.stage}</span>
                <Badge tone={TONE[state.status] ?? 'muted'}>{state.status}</Badge>
              </div>
              {stage.needs.length > 0 && (
                <div className="mlmom-dim">needs {stage.needs.join(', ')}</div>
              )}
              {state.detail && <div className="mlmom-detail">{state.detail}</div>}
              <div className="mlmom-actions">
                <button className="jp-mod-styled" disabled={running}
                  onClick={() => run({ stages: [stage.stage] })}>Run</button>
                <button className="jp-mod-styled" disabled={running}
                  onClick={() => run({ start: stage.stage })}>Run from here</button>
                {stage.notebook && (
                  <button className="jp-mod-styled" title={stage.notebook}
                    onClick={() => props.open(stage.notebook!)}>Notebook</button>
                )}
                <Runs stage={stage} openRun={props.openRun} />
              </div>
            </li>
          );
        })}
      </ol>
    </Section>
  );
}
