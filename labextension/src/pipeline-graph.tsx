import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import {
  attempt,
  Badge,
  CancelJob,
  Empty,
  ErrorNote,
  IPanelProps
} from './common';
import { IGraphLayout, layoutGraph } from './graph-layout';
import { StageDetails } from './stage-details';
import {
  elapsed,
  IStageState,
  progressOf,
  stateOf,
  statusLabel,
  TONE
} from './stage-state';
import { IStage } from './types';

/** Now, in seconds, ticking every second while `live` (a run's elapsed time moves). */
function useClock(live: boolean): number {
  const [now, setNow] = React.useState(Date.now() / 1000);
  React.useEffect(() => {
    if (!live) {
      return;
    }
    const timer = setInterval(() => setNow(Date.now() / 1000), 1000);
    return () => clearInterval(timer);
  }, [live]);
  return live ? now : Date.now() / 1000;
}

/** One stage as a node: its name, status, why in a few words, and its cells as they run. */
function Node(props: {
  stage: IStage;
  state: IStageState;
  box: { x: number; y: number; width: number; height: number };
  picked: boolean;
  now: number;
  trans: TranslationBundle;
  onPick: () => void;
}): JSX.Element {
  const { stage, state, box, trans } = props;
  const label = statusLabel(trans, state.status);
  const cells = state.cells;
  const time =
    state.status === 'running' && state.since
      ? elapsed(props.now - state.since)
      : '';
  return (
    <button
      className={`mlmom-node mlmom-node-${state.status}`}
      data-stage={stage.stage}
      data-status={state.status}
      aria-pressed={props.picked}
      aria-label={trans.__('%1: %2. %3', stage.stage, label, state.short)}
      title={state.detail}
      style={{ left: box.x, top: box.y, width: box.width, height: box.height }}
      onClick={props.onPick}
    >
      <span className="mlmom-node-head">
        <span className="mlmom-name">{stage.stage}</span>
        <Badge tone={TONE[state.status] ?? 'muted'}>{label}</Badge>
      </span>
      <span className="mlmom-node-why">
        {[state.short, time].filter(Boolean).join(' · ')}
      </span>
      {cells && <progress max={cells[1]} value={cells[0]} aria-hidden="true" />}
    </button>
  );
}

/** The layout of the stages (`shape`: their names and needs, as JSON), made in a task of
 * its own after the view is drawn: opening the view and laying it out never add up to one
 * long task. */
function useLayout(shape: string): IGraphLayout | null {
  const [layout, setLayout] = React.useState<IGraphLayout | null>(null);
  React.useEffect(() => {
    const timer = setTimeout(() => {
      const stages: [string, string[]][] = JSON.parse(shape);
      setLayout(layoutGraph(Object.fromEntries(stages)));
    }, 0);
    return () => clearTimeout(timer);
  }, [shape]);
  return layout;
}

/** The stages as a graph laid out by dagre, edges from each stage to those needing it. */
function Graph(props: {
  stages: IStage[];
  states: Map<string, IStageState>;
  picked: string | null;
  now: number;
  trans: TranslationBundle;
  onPick: (stage: string) => void;
}): JSX.Element {
  const { stages, trans } = props;
  const shape = JSON.stringify(stages.map(s => [s.stage, s.needs]));
  const layout = useLayout(shape);
  const byName = new Map(stages.map(s => [s.stage, s]));
  if (!layout) {
    return <div className="mlmom-graph" aria-busy="true" />;
  }
  return (
    <div
      className="mlmom-graph"
      role="group"
      aria-label={trans.__('The pipeline: one button per stage')}
      style={{ width: layout.width, height: layout.height }}
    >
      <svg
        className="mlmom-graph-edges"
        width={layout.width}
        height={layout.height}
        aria-hidden="true"
      >
        <defs>
          <marker
            id="mlmom-arrow"
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto-start-reverse"
          >
            <path d="M 0 0 L 10 5 L 0 10 z" />
          </marker>
        </defs>
        {layout.edges.map(e => (
          <path
            key={`${e.from}-${e.to}`}
            d={e.path}
            markerEnd="url(#mlmom-arrow)"
            data-edge={`${e.from}->${e.to}`}
          />
        ))}
      </svg>
      {layout.nodes.map(box => (
        <Node
          key={box.id}
          stage={byName.get(box.id)!}
          state={props.states.get(box.id)!}
          box={box}
          picked={props.picked === box.id}
          now={props.now}
          trans={trans}
          onPick={() => props.onPick(box.id)}
        />
      ))}
    </div>
  );
}

/** The pipeline in the main area: the graph, the run going on, and the stage picked. */
export function PipelineGraph(props: IPanelProps): JSX.Element {
  const { model, trans } = props;
  const pipeline = model.pipeline;
  const stages = pipeline.stages.data?.stages ?? [];
  const job = pipeline.job;
  const running = pipeline.running;
  const now = useClock(running);
  const [picked, setPicked] = React.useState<string | null>(null);
  const states = new Map(
    stages.map(s => [s.stage, stateOf(trans, s, job, running)])
  );
  const chosen = stages.find(s => s.stage === picked);
  const runAll = () =>
    void attempt(trans, trans.__('the pipeline run'), () => pipeline.run({}));
  return (
    <div className="mlmom-view mlmom-pipeline-view">
      <header className="mlmom-view-header">
        <h2>{trans.__('Pipeline · %1', model.project.data?.project ?? '')}</h2>
        <div className="mlmom-actions">
          {job && (
            <span
              className="mlmom-run-state"
              data-job={job.status}
              role="status"
            >
              {job.title}: {statusLabel(trans, job.status)}
              {running ? ` · ${progressOf(trans, job)}` : ''}
              {running && job.started ? ` · ${elapsed(now - job.started)}` : ''}
            </span>
          )}
          <CancelJob job={job} model={model} trans={trans} />
          <button
            className="jp-mod-styled jp-mod-accept"
            disabled={running}
            onClick={runAll}
          >
            {trans.__('Run all')}
          </button>
        </div>
      </header>
      <ErrorNote error={pipeline.stages.error} />
      {job?.error && <div className="mlmom-error">{job.error.error}</div>}
      {stages.length === 0 && !pipeline.stages.error ? (
        <Empty>{trans.__('No stages in mlmom.yaml yet.')}</Empty>
      ) : (
        <div className="mlmom-graph-body">
          <div className="mlmom-graph-scroll">
            <Graph
              stages={stages}
              states={states}
              picked={picked}
              now={now}
              trans={trans}
              onPick={stage => setPicked(stage === picked ? null : stage)}
            />
          </div>
          {chosen ? (
            <StageDetails
              {...props}
              stage={chosen}
              state={states.get(chosen.stage)!}
              now={now}
            />
          ) : (
            <p className="mlmom-dim mlmom-graph-hint">
              {trans.__(
                'Pick a stage to see why it is stale, open its notebooks, or run it with other parameters.'
              )}
            </p>
          )}
        </div>
      )}
    </div>
  );
}
