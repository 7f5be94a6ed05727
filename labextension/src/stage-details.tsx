import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { attempt, Badge, IPanelProps } from './common';
import { IRunRequestBody } from './models';
import { Runs } from './pipeline';
import { elapsed, IStageState, statusLabel, TONE } from './stage-state';
import { readParam, shown, Value } from './stage-params';
import { IStage, IStageParam } from './types';

/** A parameter's label and field (a checkbox, a number or text), its type, and what is
 * wrong with what was typed. */
function ParamField(props: {
  param: IStageParam;
  stage: string;
  typed: string | boolean | undefined;
  read: Value | Error | undefined;
  changed: boolean;
  onChange: (value: string | boolean) => void;
}): JSX.Element {
  const { param } = props;
  const value = props.typed ?? shown(param);
  const id = `mlmom-param-${props.stage}-${param.name}`;
  const error = props.read instanceof Error ? props.read : null;
  const numeric = param.type === 'int' || param.type === 'float';
  return (
    <div
      className={props.changed ? 'mlmom-param mlmom-changed' : 'mlmom-param'}
    >
      <label htmlFor={id}>{param.name}</label>
      {typeof value === 'boolean' ? (
        <input
          id={id}
          type="checkbox"
          checked={value}
          onChange={e => props.onChange(e.target.checked)}
        />
      ) : (
        <input
          id={id}
          type={numeric ? 'number' : 'text'}
          step={param.type === 'int' ? 1 : 'any'}
          value={value}
          aria-invalid={error !== null}
          onChange={e => props.onChange(e.target.value)}
        />
      )}
      <span className="mlmom-dim">{param.type}</span>
      {error && <span className="mlmom-error">{error.message}</span>}
    </div>
  );
}

/** One field per parameter, typed like the spec's value; runs with the changed ones. */
function ParamsForm(props: {
  stage: IStage;
  trans: TranslationBundle;
  disabled: boolean;
  onRun: (body: IRunRequestBody) => void;
}): JSX.Element | null {
  const { stage, trans } = props;
  const [typed, setTyped] = React.useState<Record<string, string | boolean>>(
    {}
  );
  React.useEffect(() => setTyped({}), [stage.stage]);
  if (stage.params.length === 0) {
    return null;
  }
  const read = new Map(
    stage.params.map(p => [
      p.name,
      p.name in typed ? readParam(p, typed[p.name]) : p.value
    ])
  );
  const wrong = [...read.values()].some(v => v instanceof Error);
  const changed = Object.fromEntries(
    stage.params
      .filter(p => !(read.get(p.name) instanceof Error))
      .filter(p => JSON.stringify(read.get(p.name)) !== JSON.stringify(p.value))
      .map(p => [p.name, read.get(p.name)])
  );
  const params = Object.keys(changed).length ? { [stage.stage]: changed } : {};
  return (
    <form className="mlmom-params" onSubmit={e => e.preventDefault()}>
      <fieldset disabled={props.disabled}>
        <legend>
          {trans.__('Parameters for the next run (mlmom.yaml keeps its own)')}
        </legend>
        {stage.params.map(param => (
          <ParamField
            key={param.name}
            param={param}
            stage={stage.stage}
            typed={typed[param.name]}
            read={read.get(param.name)}
            changed={param.name in changed}
            onChange={value => setTyped({ ...typed, [param.name]: value })}
          />
        ))}
        <div className="mlmom-actions">
          <button
            type="button"
            className="jp-mod-styled jp-mod-accept"
            disabled={wrong}
            onClick={() => props.onRun({ stages: [stage.stage], params })}
          >
            {trans.__('Run')}
          </button>
          <button
            type="button"
            className="jp-mod-styled"
            disabled={wrong}
            onClick={() => props.onRun({ start: stage.stage, params })}
          >
            {trans.__('Run from here')}
          </button>
          <button
            type="button"
            className="jp-mod-styled"
            onClick={() => setTyped({})}
          >
            {trans.__('Reset')}
          </button>
        </div>
      </fieldset>
    </form>
  );
}

/** The stage picked in the graph: its state and why, its progress, its notebooks and log,
 * and its parameters to run it with. */
export function StageDetails(
  props: IPanelProps & { stage: IStage; state: IStageState; now: number }
): JSX.Element {
  const { stage, state, model, trans } = props;
  const pipeline = model.pipeline;
  const job = pipeline.job;
  const running = pipeline.running;
  const log = (job?.log ?? []).filter(line =>
    line.includes(` ${stage.stage}:`)
  );
  const run = (body: IRunRequestBody) =>
    void attempt(trans, trans.__('the pipeline run'), () => pipeline.run(body));
  const latest = stage.runs[0]?.run_id;
  return (
    <aside
      className="mlmom-stage-details"
      aria-label={trans.__('stage %1', stage.stage)}
    >
      <h3>
        {stage.stage}{' '}
        <Badge tone={TONE[state.status] ?? 'muted'}>
          {statusLabel(trans, state.status)}
        </Badge>
      </h3>
      {state.status === 'running' && (
        <p className="mlmom-stage-progress">
          {state.cells
            ? trans.__('cell %1 of %2', state.cells[0], state.cells[1])
            : ''}
          {state.since ? ` · ${elapsed(props.now - state.since)}` : ''}
        </p>
      )}
      {state.status === 'stale' && (
        <ul className="mlmom-reasons">
          {stage.reasons.map(r => (
            <li key={r}>{r}</li>
          ))}
        </ul>
      )}
      {state.status === 'failed' && (
        <div className="mlmom-error">{state.detail}</div>
      )}
      <div className="mlmom-actions">
        {stage.notebook && (
          <button
            className="jp-mod-styled"
            onClick={() => props.open(stage.notebook!)}
          >
            {trans.__('Open notebook')}
          </button>
        )}
        {latest && (
          <button
            className="jp-mod-styled"
            onClick={() => props.openRun(stage.stage, latest)}
          >
            {trans.__('Last executed notebook')}
          </button>
        )}
        <Runs stage={stage} trans={trans} openRun={props.openRun} />
      </div>
      <ParamsForm stage={stage} trans={trans} disabled={running} onRun={run} />
      {log.length > 0 && (
        <details className="mlmom-stage-log" open={running}>
          <summary>{trans.__('Log of the latest run started here')}</summary>
          <pre className="mlmom-log">{log.join('\n')}</pre>
        </details>
      )}
    </aside>
  );
}
