import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { Chart } from './charts';
import { Badge, ErrorNote, IPanelProps, num } from './common';
import { History } from './registry-history';
import { ICompare, ICompareRow, IVersion } from './types';

/** A compared value; content hashes shortened to 12 characters (in full on hover). */
function Cell(props: { value: unknown; differs: boolean }): JSX.Element {
  const text =
    props.value !== null && typeof props.value === 'object'
      ? JSON.stringify(props.value)
      : num(props.value, 4);
  const hash = /^[0-9a-f]{40,}$/.test(text);
  return (
    <td
      title={hash ? text : undefined}
      className={props.differs ? 'mlmom-differs-cell' : undefined}
    >
      {hash ? `${text.slice(0, 12)}…` : text}
    </td>
  );
}

/** Rows of one section; a row whose versions disagree is marked, and so is each value that
 * differs from the oldest version's. */
function Rows(props: {
  title: string;
  rows: ICompareRow[];
  span: number;
}): JSX.Element | null {
  if (props.rows.length === 0) {
    return null;
  }
  return (
    <React.Fragment>
      <tr className="mlmom-compare-section">
        <th colSpan={props.span} scope="rowgroup">
          {props.title}
        </th>
      </tr>
      {props.rows.map(r => (
        <tr
          key={props.title + r.key}
          data-key={r.key}
          className={r.same ? '' : 'mlmom-differs'}
        >
          <th scope="row">{r.key}</th>
          {r.values.map((v, i) => (
            <Cell
              key={i}
              value={v}
              differs={
                i > 0 && JSON.stringify(v) !== JSON.stringify(r.values[0])
              }
            />
          ))}
        </tr>
      ))}
    </React.Fragment>
  );
}

/** The metrics of each version as one line per metric across the versions. */
function MetricsChart(props: {
  compare: ICompare;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { compare, trans } = props;
  const numeric = compare.metrics.filter(r =>
    r.values.some(v => typeof v === 'number')
  );
  if (numeric.length === 0) {
    return null;
  }
  return (
    <Chart
      className="mlmom-compare-chart"
      title={trans.__('Metrics across versions')}
      x={compare.versions.map((_, i) => i)}
      xLabels={compare.versions.map(v => `v${v.version}`)}
      series={numeric.map(r => ({
        label: r.key,
        values: r.values.map(v => (typeof v === 'number' ? v : null))
      }))}
      height={200}
    />
  );
}

/** What each version is beyond its numbers: aliases, who registered it, the gate, the
 * approval, ONNX parity, the top features, and its model card. */
function VersionFacts(
  props: IPanelProps & { version: IVersion; path: string }
): JSX.Element {
  const { version: v, model, trans } = props;
  const gate = String(v.gate.status ?? '—');
  const approval = String(v.approval.status ?? trans.__('pending'));
  const onnx = v.onnx as { status?: string; max_diff?: number };
  return (
    <section className="mlmom-version-facts" data-version={v.version}>
      <h3>
        v{v.version}{' '}
        {v.aliases.map(a => (
          <Badge key={a} tone={a === 'champion' ? 'good' : 'info'}>
            {a}
          </Badge>
        ))}
      </h3>
      <dl>
        <dt>{trans.__('registered')}</dt>
        <dd>
          {new Date(v.created).toLocaleString()}{' '}
          {v.registered_by && trans.__('by %1', v.registered_by)}
        </dd>
        <dt>{trans.__('quality gate')}</dt>
        <dd>
          <Badge
            tone={gate === 'passed' ? 'good' : gate === '—' ? 'muted' : 'bad'}
          >
            {gate}
          </Badge>
        </dd>
        <dt>{trans.__('approval')}</dt>
        <dd>{approval}</dd>
        <dt>{trans.__('ONNX')}</dt>
        <dd>
          {onnx.status ?? '—'}
          {typeof onnx.max_diff === 'number'
            ? ` (${trans.__('max diff %1', num(onnx.max_diff, 6))})`
            : ''}
        </dd>
        <dt>{trans.__('top features')}</dt>
        <dd>
          {v.explain.top
            ? v.explain.top.split(',').join(', ')
            : (v.explain.status ?? '—')}
        </dd>
      </dl>
      <a
        href={model.registry.cardUrl(v.version, props.path)}
        target="_blank"
        rel="noreferrer"
      >
        {trans.__('Model card')}
      </a>
    </section>
  );
}

/** Versions side by side in the main area: a chart of their metrics, every difference
 * highlighted, what each one is, and the moves of their aliases. */
export function CompareVersions(
  props: IPanelProps & {
    comparison: ICompare | null;
    error: string | null;
    /** The project of these versions (the sidebar may have moved to another since). */
    path: string;
  }
): JSX.Element {
  const { comparison: compare, model, trans } = props;
  if (!compare) {
    return (
      <div className="mlmom-view">
        <ErrorNote error={props.error} />
      </div>
    );
  }
  const numbers = compare.versions.map(v => v.version);
  const span = numbers.length + 1;
  const history =
    model.path === props.path ? model.registry.history.data : null;
  const events = (history?.events ?? []).filter(
    e =>
      numbers.includes(e.to_version ?? '') ||
      numbers.includes(e.from_version ?? '')
  );
  return (
    <div className="mlmom-view mlmom-compare-view">
      <header className="mlmom-view-header">
        <h2>
          {trans.__(
            '%1: %2 side by side',
            compare.name,
            numbers.map(n => `v${n}`).join(' · ')
          )}
        </h2>
      </header>
      <ErrorNote error={props.error} />
      <MetricsChart compare={compare} trans={trans} />
      <div className="mlmom-version-cards">
        {compare.versions.map(v => (
          <VersionFacts key={v.version} {...props} version={v} />
        ))}
      </div>
      <table className="mlmom-table mlmom-compare">
        <caption>
          {trans.__(
            'Rows that differ are marked; so is each value that differs from the oldest version’s.'
          )}
        </caption>
        <thead>
          <tr>
            <th scope="col">{trans.__('key')}</th>
            {numbers.map(n => (
              <th key={n} scope="col">
                v{n}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          <Rows
            title={trans.__('metrics')}
            rows={compare.metrics}
            span={span}
          />
          <Rows
            title={trans.__('parameters')}
            rows={compare.params}
            span={span}
          />
          <Rows title={trans.__('data')} rows={compare.data} span={span} />
          <Rows
            title={trans.__('lineage')}
            rows={compare.lineage}
            span={span}
          />
          <Rows title={trans.__('ONNX')} rows={compare.onnx} span={span} />
        </tbody>
      </table>
      <h3>{trans.__('Alias history of these versions')}</h3>
      <History events={events} trans={trans} />
    </div>
  );
}
