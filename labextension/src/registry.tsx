import * as React from 'react';

import { requestAPI } from './api';
import {
  announce, attempt, Badge, confirm, Empty, ErrorNote, IPanelProps, num, Section, when
} from './common';
import { IAliasEvent, ICompare, ICompareRow, IRelease, IVersion } from './types';

function VersionRow(props: IPanelProps & {
  version: IVersion; picked: boolean; onPick: () => void;
}): JSX.Element {
  const { version, model } = props;
  const [open, setOpen] = React.useState(false);
  const champion = version.aliases.includes('champion');
  const promote = () => attempt(`promoting version ${version.version}`, async () => {
    if (await confirm('Promote to champion',
      `Make version ${version.version} of ${version.name} the champion? A running server ` +
      'switches to it without dropping a request.', 'Promote')) {
      const moved = await model.act<IAliasEvent & { release: IRelease | null }>(
        'registry/promote', { version: version.version, reason: 'from the lab' });
      announce(moved.release);
    }
  });
  const metrics = Object.entries(version.metrics).slice(0, 3);
  return (
    <li className="mlmom-version" data-version={version.version}>
      <div className="mlmom-row">
        <input type="checkbox" checked={props.picked} onChange={props.onPick}
          title="Pick two versions to compare" />
        <button className="mlmom-link mlmom-name" onClick={() => setOpen(!open)}>
          v{version.version}</button>
        {version.aliases.map(a => (
          <Badge key={a} tone={a === 'champion' ? 'good' : 'info'}>{a}</Badge>
        ))}
        <span className="mlmom-dim">
          {metrics.map(([k, v]) => `${k} ${num(v)}`).join(' · ')}</span>
        {!champion && (
          <button className="jp-mod-styled mlmom-push" onClick={promote}>Promote</button>
        )}
      </div>
      {open && (
        <dl className="mlmom-details">
          <dt>registered</dt><dd>{when(version.created / 1000)}</dd>
          <dt>run</dt><dd>{version.run_id ?? '—'}</dd>
          <dt>ONNX</dt><dd>{String(version.onnx.status ?? '—')}</dd>
          {Object.entries(version.metrics).map(([k, v]) => (
            <React.Fragment key={k}><dt>{k}</dt><dd>{num(v, 4)}</dd></React.Fragment>
          ))}
          {Object.entries(version.lineage).map(([k, v]) => (
            <React.Fragment key={k}><dt>{k}</dt><dd>{v}</dd></React.Fragment>
          ))}
        </dl>
      )}
    </li>
  );
}

/** A compared value; content hashes shortened to 12 characters (in full on hover). */
function Cell(props: { value: unknown }): JSX.Element {
  const text = num(props.value, 4);
  const hash = /^[0-9a-f]{40,}$/.test(text);
  return <td title={hash ? text : undefined}>{hash ? `${text.slice(0, 12)}…` : text}</td>;
}

function CompareTable(props: { compare: ICompare }): JSX.Element {
  const [a, b] = props.compare.versions;
  const rows = (title: string, list: ICompareRow[]) => list.length === 0 ? null : (
    <React.Fragment>
      <tr><th colSpan={3}>{title}</th></tr>
      {list.map(r => (
        <tr key={title + r.key} data-key={r.key} className={r.same ? '' : 'mlmom-differs'}>
          <td>{r.key}</td><Cell value={r.a} /><Cell value={r.b} />
        </tr>
      ))}
    </React.Fragment>
  );
  return (
    <table className="mlmom-table mlmom-compare">
      <thead><tr><th></th><th>v{a}</th><th>v{b}</th></tr></thead>
      <tbody>
        {rows('metrics', props.compare.metrics)}
        {rows('parameters', props.compare.params)}
        {rows('data', props.compare.data)}
      </tbody>
    </table>
  );
}

function History(props: { events: IAliasEvent[] }): JSX.Element {
  if (props.events.length === 0) {
    return <Empty>No alias has moved yet.</Empty>;
  }
  return (
    <ol className="mlmom-history">
      {props.events.slice(0, 20).map((e, i) => (
        <li key={i} data-alias={e.alias} data-action={e.action}>
          <b>{e.alias}</b> {e.action}: {e.from_version ?? '—'} → {e.to_version ?? '—'}
          <span className="mlmom-dim"> by {e.who}, {when(e.when)}{e.reason ? ` (${e.reason})` : ''}</span>
        </li>
      ))}
    </ol>
  );
}

export function RegistryPanel(props: IPanelProps): JSX.Element {
  const { model } = props;
  const page = model.registry.data;
  const [picked, setPicked] = React.useState<string[]>([]);
  const [compare, setCompare] = React.useState<ICompare | null>(null);
  const pick = (v: string) => setPicked(
    picked.includes(v) ? picked.filter(p => p !== v) : [...picked.slice(-1), v]);
  const doCompare = () => attempt('the comparison', async () => {
    const [a, b] = [...picked].sort((x, y) => Number(x) - Number(y));
    setCompare(await requestAPI<ICompare>('registry/compare', {}, { path: model.path, a, b }));
  });
  const rollback = () => attempt('the rollback', async () => {
    if (await confirm('Roll back the champion',
      'Move the champion back to the version it held before?', 'Roll back')) {
      await model.act('registry/rollback', { reason: 'from the lab' });
    }
  });
  if (!page) {
    return <Section title="Registry"><ErrorNote error={model.registry.error} /></Section>;
  }
  const first = page.versions[0]?.version;
  const last = page.versions[page.versions.length - 1]?.version;
  return (
    <Section title={`Registry · ${page.model}`} actions={
      <React.Fragment>
        <button className="jp-mod-styled" disabled={picked.length !== 2} onClick={doCompare}>
          Compare</button>
        <button className="jp-mod-styled" onClick={rollback}
          disabled={page.total < 2}>Roll back</button>
      </React.Fragment>}>
      {page.total === 0 ? (
        <Empty>No model registered yet: run the pipeline (its register stage adds a version).</Empty>
      ) : (
        <React.Fragment>
          <div className="mlmom-pager">
            <span>v{first}–v{last} · {page.total} version{page.total === 1 ? '' : 's'}</span>
            <button className="jp-mod-styled" disabled={!page.newer}
              onClick={() => model.pageRegistry({ after: first })}>Newer</button>
            <button className="jp-mod-styled" disabled={!page.older}
              onClick={() => model.pageRegistry({ before: last })}>Older</button>
          </div>
          <ul className="mlmom-versions">
            {page.versions.map(v => (
              <VersionRow key={v.version} {...props} version={v}
                picked={picked.includes(v.version)} onPick={() => pick(v.version)} />
            ))}
          </ul>
        </React.Fragment>
      )}
      {compare && <CompareTable compare={compare} />}
      <h4>Alias history</h4>
      <ErrorNote error={model.history.error} />
      <History events={model.history.data?.events ?? []} />
    </Section>
  );
}
