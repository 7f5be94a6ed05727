import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { Chart, IMark } from './charts';
import {
  attempt,
  Badge,
  clock,
  Empty,
  ErrorNote,
  IPanelProps,
  num
} from './common';
import {
  IAlert,
  ICheck,
  ILoggedRequests,
  ILoop,
  IRequestExplanation
} from './types';

/** The loop's phases in order; the last two are its two ends. */
const PHASES = [
  'alert',
  'retrain',
  'offline comparison',
  'approval',
  'canary',
  'promoted',
  'rolled back'
] as const;

/** The words for each phase of the loop. */
function phaseLabel(trans: TranslationBundle, phase: string): string {
  const labels: Record<string, string> = {
    alert: trans.__('alert'),
    retrain: trans.__('retrain'),
    'offline comparison': trans.__('offline comparison'),
    approval: trans.__('approval'),
    canary: trans.__('canary'),
    promoted: trans.__('promoted'),
    'rolled back': trans.__('rolled back')
  };
  return labels[phase] ?? phase;
}

function alertMarks(alerts: IAlert[]): IMark[] {
  return alerts.map(a => ({ x: a.ts, label: `${a.rule} ${clock(a.ts)}` }));
}

/** The metrics a check may hold, the one drawn first. */
const PREFERRED = ['roc_auc', 'accuracy', 'f1', 'rmse', 'mae', 'r2'];

/** The metric to draw: the first preferred one the checks measured or estimated. */
function mainMetric(checks: ICheck[]): string | null {
  const found = new Set<string>();
  for (const c of checks) {
    for (const part of [c.performance.measured, c.performance.estimated]) {
      Object.keys(part ?? {}).forEach(m => found.add(m));
    }
  }
  return PREFERRED.find(m => found.has(m)) ?? [...found][0] ?? null;
}

/** The dataset's drift share, and measured vs estimated performance, over the checks. */
function OverTime(props: {
  checks: ICheck[];
  alerts: IAlert[];
  trans: TranslationBundle;
}) {
  const { checks, trans } = props;
  const x = checks.map(c => c.ts);
  const marks = alertMarks(props.alerts.filter(a => a.ts >= (x[0] ?? 0)));
  const metric = mainMetric(checks);
  const performance = metric
    ? [
        {
          label: trans.__('%1 measured', metric),
          values: checks.map(c => c.performance.measured?.[metric] ?? null)
        },
        {
          label: trans.__('%1 estimated', metric),
          values: checks.map(c => c.performance.estimated?.[metric] ?? null)
        }
      ]
    : [];
  return (
    <div className="mlmom-over-time">
      <Chart
        className="mlmom-drift-share"
        title={trans.__('Share of drifted features')}
        x={x}
        time
        marks={marks}
        series={[
          {
            label: trans.__('drifted share'),
            values: checks.map(c => c.dataset_drift_share)
          }
        ]}
      />
      {performance.length > 0 && (
        <Chart
          className="mlmom-performance"
          title={trans.__('Performance: measured on labels, estimated without')}
          x={x}
          time
          marks={marks}
          series={performance}
        />
      )}
    </div>
  );
}

/** Each feature's drift score over the checks, as a sparkline beside its latest score. */
function FeatureSparklines(props: {
  checks: ICheck[];
  latest: ICheck | null;
  trans: TranslationBundle;
}) {
  const { checks, trans } = props;
  const features = props.latest?.features ?? [];
  if (features.length === 0) {
    return null;
  }
  const x = checks.map(c => c.ts);
  return (
    <table className="mlmom-table mlmom-sparklines">
      <thead>
        <tr>
          <th scope="col">{trans.__('feature')}</th>
          <th scope="col">{trans.__('drift score over the checks')}</th>
          <th scope="col">{trans.__('latest')}</th>
        </tr>
      </thead>
      <tbody>
        {features.map(f => (
          <tr
            key={f.feature}
            data-feature={f.feature}
            className={f.drifted ? 'mlmom-differs' : ''}
          >
            <th scope="row">{f.feature}</th>
            <td className="mlmom-spark-cell">
              <Chart
                spark
                height={32}
                title={trans.__('%1 drift score over the checks', f.feature)}
                x={x}
                series={[
                  {
                    label: f.method,
                    values: checks.map(
                      c =>
                        c.features?.find(g => g.feature === f.feature)?.score ??
                        null
                    )
                  }
                ]}
              />
            </td>
            <td>
              {num(f.score, 3)}{' '}
              {f.drifted && <Badge tone="bad">{trans.__('drift')}</Badge>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The retraining loop as its phases, the one its last step reached marked; its steps. */
function LoopDiagram(props: {
  loop: ILoop;
  trans: TranslationBundle;
}): JSX.Element {
  const { loop, trans } = props;
  const last = loop.steps[loop.steps.length - 1];
  const reached = last?.phase;
  const end = reached ? PHASES.indexOf(reached) : -1;
  const visited = (i: number) =>
    i <= end &&
    !(PHASES[i] === 'promoted' && reached === 'rolled back') &&
    !(
      PHASES[i] === 'approval' && !loop.steps.some(s => s.phase === 'approval')
    );
  return (
    <section className="mlmom-loop-view">
      <ol
        className="mlmom-loop"
        aria-label={trans.__('The retraining loop: %1', loop.state)}
      >
        {PHASES.map((p, i) => (
          <li
            key={p}
            data-phase={p}
            aria-current={p === reached ? 'step' : undefined}
            className={visited(i) ? 'mlmom-loop-visited' : ''}
          >
            {phaseLabel(trans, p)}
          </li>
        ))}
      </ol>
      {loop.steps.length === 0 ? (
        <Empty>
          {trans.__(
            'The loop has not run: it runs on alerts that a retraining policy names.'
          )}
        </Empty>
      ) : (
        <ol className="mlmom-history mlmom-loop-steps" reversed>
          {[...loop.steps].reverse().map(s => (
            <li key={s.ts} data-phase={s.phase}>
              <b>{phaseLabel(trans, s.phase)}</b>{' '}
              <span className="mlmom-dim">{clock(s.ts)}</span> {s.message}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

/** The newest logged requests; one explained by SHAP when picked. */
function ExplainRequest(props: IPanelProps): JSX.Element {
  const { model, trans } = props;
  const [found, setFound] = React.useState<ILoggedRequests | null>(null);
  const [shown, setShown] = React.useState<IRequestExplanation | null>(null);
  const list = () =>
    attempt(trans, trans.__('reading the log'), async () =>
      setFound(await model.monitoring.requests())
    );
  const explain = (id: string) =>
    attempt(trans, trans.__('the explanation'), async () =>
      setShown(await model.monitoring.explain(id))
    );
  const top = (shown?.contributions ?? []).slice(0, 8);
  return (
    <section className="mlmom-explain-request">
      <button className="jp-mod-styled" onClick={list}>
        {found
          ? trans.__('Read the log again')
          : trans.__('Show the latest logged requests')}
      </button>
      {found && found.requests.length === 0 && (
        <Empty>{trans.__('Nothing logged yet.')}</Empty>
      )}
      {found && found.requests.length > 0 && (
        <table className="mlmom-table mlmom-requests">
          <tbody>
            {found.requests.map(r => (
              <tr key={r.request_id} data-request={r.request_id}>
                <td>{clock(r.ts)}</td>
                <td>
                  v{r.version} · {r.route}
                </td>
                <td className="mlmom-request-id">{r.request_id}</td>
                <td>
                  <button
                    className="jp-mod-styled"
                    onClick={() => explain(r.request_id)}
                    aria-label={trans.__('Explain request %1', r.request_id)}
                  >
                    {trans.__('Explain')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {shown && (
        <div className="mlmom-explanation" data-request={shown.request_id}>
          <p>
            {trans.__(
              'Request %1 (row %2), answered %3 by v%4: %5 %6 = %7 from a base of %8.',
              shown.request_id,
              shown.row,
              String(shown.logged_prediction),
              shown.version,
              shown.method,
              shown.output_name,
              num(shown.output, 3),
              num(shown.base, 3)
            )}
          </p>
          <Chart
            bars
            title={trans.__('What moved this prediction (SHAP)')}
            x={top.map((_, i) => i)}
            xLabels={top.map(c => c.feature)}
            series={[
              {
                label: trans.__('contribution'),
                values: top.map(c => c.contribution)
              }
            ]}
          />
          <table className="mlmom-table">
            <tbody>
              {top.map(c => (
                <tr key={c.feature}>
                  <th scope="row">{c.feature}</th>
                  <td>{String(c.value)}</td>
                  <td>{num(c.contribution, 4)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** Monitoring over time in the main area: drift and performance across the checks with
 * their alerts, each feature's drift, the retraining loop, and a request explained. */
export function MonitoringView(props: IPanelProps): JSX.Element {
  const { model, trans } = props;
  const state = model.monitoring.state.data;
  const checks = state?.history ?? [];
  return (
    <div className="mlmom-view mlmom-monitoring-view">
      <header className="mlmom-view-header">
        <h2>
          {trans.__('Monitoring · %1', model.project.data?.project ?? '')}
        </h2>
      </header>
      <ErrorNote error={model.monitoring.state.error} />
      {state && checks.length === 0 && (
        <Empty>
          {trans.__(
            'No check yet: serve the model, send it requests, then run a check.'
          )}
        </Empty>
      )}
      {checks.length > 0 && (
        <OverTime checks={checks} alerts={state?.alerts ?? []} trans={trans} />
      )}
      {state && state.alerts.length > 0 && (
        <ol className="mlmom-history mlmom-alert-list">
          {state.alerts.map(a => (
            <li key={`${a.rule}-${a.ts}`} data-rule={a.rule}>
              <Badge tone="bad">{a.rule}</Badge> {clock(a.ts)} {a.message}
            </li>
          ))}
        </ol>
      )}
      <h3>{trans.__('Drift per feature')}</h3>
      <FeatureSparklines
        checks={checks}
        latest={state?.latest ?? null}
        trans={trans}
      />
      <h3>{trans.__('Retraining loop')}</h3>
      {state && <LoopDiagram loop={state.loop} trans={trans} />}
      <h3>{trans.__('Explain a logged prediction')}</h3>
      <ExplainRequest {...props} />
    </div>
  );
}
