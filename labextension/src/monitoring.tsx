import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import {
  attempt,
  Badge,
  CancelJob,
  clock,
  Empty,
  ErrorNote,
  IPanelProps,
  num,
  Section,
  when
} from './common';
import { DashboardName } from './models';
import { ICheck } from './types';

/** Short names of the drift tests (mlmom_lab/monitoring/stattests.py), full ones on hover. */
function driftTests(
  trans: TranslationBundle
): Record<string, [string, string]> {
  return {
    ks: ['KS', trans.__('Kolmogorov-Smirnov p-value (drift when low)')],
    chisquare: ['χ²', trans.__('chi-square p-value (drift when low)')],
    z: ['Z', trans.__('two-proportion Z-test p-value (drift when low)')],
    wasserstein: [
      'W',
      trans.__('Wasserstein distance, normed by the reference std')
    ],
    jensenshannon: ['JS', trans.__('Jensen-Shannon distance')],
    psi: ['PSI', trans.__('population stability index')],
    kl_div: ['KL', trans.__('Kullback-Leibler divergence')],
    hellinger: ['H', trans.__('Hellinger distance')]
  };
}

function Drift(props: {
  check: ICheck;
  trans: TranslationBundle;
}): JSX.Element {
  const { trans } = props;
  const features = props.check.features ?? [];
  const tests = driftTests(trans);
  const shapTitle = trans.__(
    'share of what the model listens to: training rows → window'
  );
  return (
    <table className="mlmom-table mlmom-drift">
      <thead>
        <tr>
          <th>{trans.__('feature')}</th>
          <th>{trans.__('test')}</th>
          <th>{trans.__('score')}</th>
          <th>{trans.__('verdict')}</th>
          <th
            title={trans.__('share of the mean |SHAP|: training rows → window')}
          >
            {trans.__('SHAP')}
          </th>
        </tr>
      </thead>
      <tbody>
        {features.map(f => {
          const [short, long] = tests[f.method] ?? [f.method, f.method];
          return (
            <tr
              key={f.feature}
              data-feature={f.feature}
              data-drifted={String(f.drifted)}
            >
              <td className="mlmom-wrap">{f.feature}</td>
              <td title={long}>{short}</td>
              <td>{num(f.score, 3)}</td>
              <td>
                <Badge tone={f.drifted ? 'bad' : 'good'}>
                  {f.drifted ? trans.__('drift') : trans.__('ok')}
                </Badge>
              </td>
              <td
                className="mlmom-shap"
                data-shifted={String(f.shap_shifted ?? false)}
                title={shapTitle}
              >
                {f.shap_share ? (
                  <ShapShare share={f.shap_share} shifted={!!f.shap_shifted} />
                ) : (
                  '—'
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** A feature's share of the mean |SHAP|, training rows → window; marked where it moved. */
function ShapShare(props: { share: number[]; shifted: boolean }): JSX.Element {
  const [before, after] = props.share.map(s => Math.round(s * 100));
  const text = `${before}→${after}%`;
  return props.shifted ? <Badge tone="bad">{text}</Badge> : <span>{text}</span>;
}

/** The metric the performance table shows: accuracy for classifiers, else the first one. */
function headline(checks: ICheck[]): string | null {
  for (const c of checks) {
    const found = c.performance?.measured ?? c.performance?.estimated;
    if (found) {
      return 'accuracy' in found ? 'accuracy' : (Object.keys(found)[0] ?? null);
    }
  }
  return null;
}

/** One row per check: the metric measured on late labels and estimated (CBPE) without them. */
function Performance(props: {
  history: ICheck[];
  trans: TranslationBundle;
}): JSX.Element {
  const { trans } = props;
  const checks = props.history.slice(-10).reverse();
  if (checks.length === 0) {
    return <Empty>{trans.__('No checks yet.')}</Empty>;
  }
  const metric = headline(checks);
  const name = metric ?? trans.__('metric');
  const value = (c: ICheck, source: 'measured' | 'estimated') =>
    metric ? num(c.performance?.[source]?.[metric], 3) : '—';
  return (
    <table className="mlmom-table mlmom-performance">
      <thead>
        <tr>
          <th>{trans.__('checked')}</th>
          <th>{trans.__('v')}</th>
          <th>{trans.__('rows')}</th>
          <th title={trans.__('share of drifted features')}>
            {trans.__('drift')}
          </th>
          <th title={trans.__('%1 on labelled rows', name)}>{name}</th>
          <th title={trans.__('%1 estimated from the scores (CBPE)', name)}>
            {trans.__('est.')}
          </th>
        </tr>
      </thead>
      <tbody>
        {checks.map(c => (
          <tr key={c.ts}>
            <td title={when(c.ts)}>{clock(c.ts)}</td>
            <td>{c.version}</td>
            <td>{c.rows}</td>
            <td>{Math.round(c.dataset_drift_share * 100)}%</td>
            <td>{value(c, 'measured')}</td>
            <td>{value(c, 'estimated')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The latest check: when, on how many rows, how much drifted, per feature. */
function Latest(props: { check: ICheck; trans: TranslationBundle }) {
  const { check, trans } = props;
  return (
    <React.Fragment>
      <div className="mlmom-dim">
        {trans.__(
          'v%1 · %2 rows · checked %3 ·',
          check.version,
          check.rows,
          when(check.ts)
        )}{' '}
        <Badge tone={check.dataset_drift_share >= 0.5 ? 'bad' : 'good'}>
          {trans.__(
            '%1% of features drifted',
            Math.round(check.dataset_drift_share * 100)
          )}
        </Badge>
      </div>
      <Drift check={check} trans={trans} />
    </React.Fragment>
  );
}

export function MonitoringPanel(props: IPanelProps): JSX.Element {
  const { model, trans } = props;
  const monitoring = model.monitoring;
  const data = monitoring.state.data;
  const busy = monitoring.busy;
  const check = () =>
    attempt(trans, trans.__('the check'), () => monitoring.check());
  const report = () =>
    attempt(trans, trans.__('the drift report'), async () => {
      const html = await monitoring.report();
      if (html) {
        props.openUrl(html);
      }
    });
  const dashboard = (name: DashboardName, what: string) =>
    attempt(trans, what, async () => {
      const path = await monitoring.dashboard(name);
      if (path) {
        props.openDashboard(path);
      }
    });
  if (!data) {
    return (
      <Section title={trans.__('Monitoring')}>
        <ErrorNote error={monitoring.state.error} />
      </Section>
    );
  }
  return (
    <Section
      title={trans.__('Monitoring')}
      actions={
        <React.Fragment>
          <button
            className="jp-mod-styled"
            title={trans.__(
              'Drift, performance and the loop over time, in the main area'
            )}
            onClick={() => props.openView('monitoring')}
          >
            {trans.__('View')}
          </button>
          <button
            className="jp-mod-styled jp-mod-accept"
            disabled={busy}
            onClick={check}
          >
            {trans.__('Run check')}
          </button>
          <button className="jp-mod-styled" disabled={busy} onClick={report}>
            {trans.__('Drift report')}
          </button>
          <CancelJob job={monitoring.job} model={model} trans={trans} />
          <button
            className="jp-mod-styled"
            onClick={() => dashboard('drift', trans.__('the drift dashboard'))}
            title={trans.__(
              'Voilà: drift per feature, distributions, performance, alerts'
            )}
          >
            {trans.__('Drift dashboard')}
          </button>
          <button
            className="jp-mod-styled"
            onClick={() =>
              dashboard('explain', trans.__('the explain dashboard'))
            }
            title={trans.__(
              'Voilà: what drives each version, and SHAP and LIME of any logged prediction'
            )}
          >
            {trans.__('Explanations')}
          </button>
        </React.Fragment>
      }
    >
      {data.latest ? (
        <Latest check={data.latest} trans={trans} />
      ) : (
        <Empty>
          {trans.__(
            'No check yet: start the server (Deployments), send it traffic, then Run check.'
          )}
        </Empty>
      )}
      <h4>{trans.__('Performance over windows')}</h4>
      <Performance history={data.history} trans={trans} />
      <h4>{trans.__('Alerts')}</h4>
      {data.alerts.length === 0 ? (
        <Empty>{trans.__('No alert has fired.')}</Empty>
      ) : (
        <ul className="mlmom-alerts">
          {data.alerts.map((a, i) => (
            <li key={i}>
              <Badge tone="bad">{a.rule}</Badge> {a.message}
              <span className="mlmom-dim"> {when(a.ts)}</span>
            </li>
          ))}
        </ul>
      )}
      {data.reports.length > 0 && (
        <React.Fragment>
          <h4>{trans.__('Evidently reports')}</h4>
          <ul className="mlmom-reports">
            {data.reports.map(r => (
              <li key={r}>
                <button className="mlmom-link" onClick={() => props.openUrl(r)}>
                  {r.split('/').pop()}
                </button>
              </li>
            ))}
          </ul>
        </React.Fragment>
      )}
    </Section>
  );
}
