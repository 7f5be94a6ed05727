import { InputDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import {
  announce,
  attempt,
  Badge,
  confirm,
  Empty,
  ErrorNote,
  IPanelProps,
  num,
  Section,
  when
} from './common';
import {
  IAliasEvent,
  IAuditEvent,
  ICompare,
  ICompareRow,
  IVersion
} from './types';

/** Approve or reject a version from its details, asking why first (kept in the audit trail). */
function Decisions(props: IPanelProps & { version: IVersion }): JSX.Element {
  const { version, model, trans } = props;
  const decide = (decision: 'approve' | 'reject') =>
    attempt(
      trans,
      trans.__('deciding on version %1', version.version),
      async () => {
        const asked = await InputDialog.getText({
          title:
            decision === 'approve'
              ? trans.__('Approve version %1', version.version)
              : trans.__('Reject version %1', version.version),
          label: trans.__('Why? (kept in the audit trail)'),
          okLabel:
            decision === 'approve' ? trans.__('Approve') : trans.__('Reject')
        });
        const reason = (asked.value ?? '').trim();
        if (asked.button.accept && reason) {
          await model.registry.decide(version.version, decision, reason);
        }
      }
    );
  return (
    <dd className="mlmom-decisions">
      <button className="jp-mod-styled" onClick={() => decide('approve')}>
        {trans.__('Approve…')}
      </button>
      <button className="jp-mod-styled" onClick={() => decide('reject')}>
        {trans.__('Reject…')}
      </button>
    </dd>
  );
}

/** "approved by bob: checked the card" or "pending". */
function approvalText(version: IVersion, trans: TranslationBundle): string {
  const a = version.approval as { status?: string; who?: string; why?: string };
  if (!a.status || a.status === 'pending') {
    return trans.__('pending');
  }
  return trans.__('%1 by %2: %3', a.status, a.who ?? '?', a.why ?? '');
}

function VersionRow(
  props: IPanelProps & {
    version: IVersion;
    picked: boolean;
    onPick: () => void;
  }
): JSX.Element {
  const { version, model, trans } = props;
  const [open, setOpen] = React.useState(false);
  const champion = version.aliases.includes('champion');
  const promote = () =>
    attempt(
      trans,
      trans.__('promoting version %1', version.version),
      async () => {
        const confirmed = await confirm(
          trans,
          trans.__('Promote to champion'),
          trans.__(
            'Make version %1 of %2 the champion? A running server switches to it without dropping a request.',
            version.version,
            version.name
          ),
          trans.__('Promote')
        );
        if (confirmed) {
          announce(trans, await model.registry.promote(version.version));
        }
      }
    );
  const metrics = Object.entries(version.metrics).slice(0, 3);
  return (
    <li className="mlmom-version" data-version={version.version}>
      <div className="mlmom-row">
        <input
          type="checkbox"
          checked={props.picked}
          onChange={props.onPick}
          title={trans.__('Pick two versions to compare')}
        />
        <button
          className="mlmom-link mlmom-name"
          onClick={() => setOpen(!open)}
        >
          v{version.version}
        </button>
        {version.aliases.map(a => (
          <Badge key={a} tone={a === 'champion' ? 'good' : 'info'}>
            {a}
          </Badge>
        ))}
        {['approved', 'rejected'].includes(String(version.approval.status)) && (
          <Badge
            tone={version.approval.status === 'approved' ? 'good' : 'bad'}
            title={approvalText(version, trans)}
          >
            {String(version.approval.status)}
          </Badge>
        )}
        <span className="mlmom-dim">
          {metrics.map(([k, v]) => `${k} ${num(v)}`).join(' · ')}
        </span>
        {!champion && (
          <button className="jp-mod-styled mlmom-push" onClick={promote}>
            {trans.__('Promote')}
          </button>
        )}
      </div>
      {open && (
        <dl className="mlmom-details">
          <dt>{trans.__('registered')}</dt>
          <dd>{when(version.created / 1000)}</dd>
          <dt>{trans.__('run')}</dt>
          <dd>{version.run_id ?? '—'}</dd>
          <dt>{trans.__('ONNX')}</dt>
          <dd>{String(version.onnx.status ?? '—')}</dd>
          <dt>{trans.__('quality gate')}</dt>
          <dd>{String(version.gate.status ?? '—')}</dd>
          <dt>{trans.__('registered by')}</dt>
          <dd>{version.registered_by || '—'}</dd>
          <dt>{trans.__('model card')}</dt>
          <dd>
            <a
              href={model.registry.cardUrl(version.version)}
              target="_blank"
              rel="noopener noreferrer"
            >
              {trans.__('open the model card')}
            </a>
          </dd>
          <dt>{trans.__('approval')}</dt>
          <dd className="mlmom-approval">{approvalText(version, trans)}</dd>
          <dt>{trans.__('decide')}</dt>
          <Decisions {...props} />
          {Object.entries(version.metrics).map(([k, v]) => (
            <React.Fragment key={k}>
              <dt>{k}</dt>
              <dd>{num(v, 4)}</dd>
            </React.Fragment>
          ))}
          {Object.entries(version.lineage).map(([k, v]) => (
            <React.Fragment key={k}>
              <dt>{k}</dt>
              <dd>{v}</dd>
            </React.Fragment>
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
  return (
    <td title={hash ? text : undefined}>
      {hash ? `${text.slice(0, 12)}…` : text}
    </td>
  );
}

function CompareTable(props: {
  compare: ICompare;
  trans: TranslationBundle;
}): JSX.Element {
  const { compare, trans } = props;
  const [a, b] = compare.versions;
  const rows = (title: string, list: ICompareRow[]) =>
    list.length === 0 ? null : (
      <React.Fragment>
        <tr>
          <th colSpan={3}>{title}</th>
        </tr>
        {list.map(r => (
          <tr
            key={title + r.key}
            data-key={r.key}
            className={r.same ? '' : 'mlmom-differs'}
          >
            <td>{r.key}</td>
            <Cell value={r.a} />
            <Cell value={r.b} />
          </tr>
        ))}
      </React.Fragment>
    );
  return (
    <table className="mlmom-table mlmom-compare">
      <thead>
        <tr>
          <th></th>
          <th>v{a}</th>
          <th>v{b}</th>
        </tr>
      </thead>
      <tbody>
        {rows(trans.__('metrics'), compare.metrics)}
        {rows(trans.__('parameters'), compare.params)}
        {rows(trans.__('data'), compare.data)}
      </tbody>
    </table>
  );
}

function History(props: {
  events: IAliasEvent[];
  trans: TranslationBundle;
}): JSX.Element {
  const { events, trans } = props;
  if (events.length === 0) {
    return <Empty>{trans.__('No alias has moved yet.')}</Empty>;
  }
  return (
    <ol className="mlmom-history">
      {events.slice(0, 20).map((e, i) => (
        <li key={i} data-alias={e.alias} data-action={e.action}>
          <b>{e.alias}</b> {e.action}: {e.from_version ?? '—'} →{' '}
          {e.to_version ?? '—'}
          <span className="mlmom-dim">
            {' '}
            {trans.__('by %1, %2', e.who, when(e.when))}
            {e.reason ? ` (${e.reason})` : ''}
          </span>
        </li>
      ))}
    </ol>
  );
}

/** Who did what, when and why: registrations, gates, approvals, alias moves, deployment
 * changes, alerts, retraining steps and erasures, newest first. */
function AuditTrail(props: {
  events: IAuditEvent[];
  trans: TranslationBundle;
}): JSX.Element {
  const { events, trans } = props;
  if (events.length === 0) {
    return <Empty>{trans.__('Nothing recorded yet.')}</Empty>;
  }
  return (
    <ol className="mlmom-history">
      {events.map((e, i) => (
        <li key={i} data-kind={e.kind}>
          <b>{e.kind}</b> {e.what}
          <span className="mlmom-dim">
            {' '}
            {trans.__('by %1, %2', e.who || '—', when(e.when))}
            {e.why ? ` (${e.why})` : ''}
          </span>
        </li>
      ))}
    </ol>
  );
}

/** The page shown, its range and total, and the buttons to the next ones. */
function Pager(props: IPanelProps): JSX.Element | null {
  const { model, trans } = props;
  const page = model.registry.page.data;
  if (!page) {
    return null;
  }
  const first = page.versions[0]?.version;
  const last = page.versions[page.versions.length - 1]?.version;
  return (
    <div className="mlmom-pager">
      <span>
        {trans._n(
          'v%2–v%3 · %1 version',
          'v%2–v%3 · %1 versions',
          page.total,
          first,
          last
        )}
      </span>
      <button
        className="jp-mod-styled"
        disabled={!page.newer}
        onClick={() => model.registry.showNewer()}
      >
        {trans.__('Newer')}
      </button>
      <button
        className="jp-mod-styled"
        disabled={!page.older}
        onClick={() => model.registry.showOlder()}
      >
        {trans.__('Older')}
      </button>
    </div>
  );
}

export function RegistryPanel(props: IPanelProps): JSX.Element {
  const { model, trans } = props;
  const registry = model.registry;
  const page = registry.page.data;
  const [picked, setPicked] = React.useState<string[]>([]);
  const [compare, setCompare] = React.useState<ICompare | null>(null);
  const pick = (v: string) =>
    setPicked(
      picked.includes(v)
        ? picked.filter(p => p !== v)
        : [...picked.slice(-1), v]
    );
  const doCompare = () =>
    attempt(trans, trans.__('the comparison'), async () => {
      const [a, b] = picked;
      setCompare(await registry.compare(a, b));
    });
  const rollback = () =>
    attempt(trans, trans.__('the rollback'), async () => {
      const confirmed = await confirm(
        trans,
        trans.__('Roll back the champion'),
        trans.__('Move the champion back to the version it held before?'),
        trans.__('Roll back')
      );
      if (confirmed) {
        await registry.rollback();
      }
    });
  if (!page) {
    return (
      <Section title={trans.__('Registry')}>
        <ErrorNote error={registry.page.error} />
      </Section>
    );
  }
  return (
    <Section
      title={trans.__('Registry · %1', page.model)}
      actions={
        <React.Fragment>
          <button
            className="jp-mod-styled"
            disabled={picked.length !== 2}
            onClick={doCompare}
          >
            {trans.__('Compare')}
          </button>
          <button
            className="jp-mod-styled"
            onClick={rollback}
            disabled={page.total < 2}
          >
            {trans.__('Roll back')}
          </button>
        </React.Fragment>
      }
    >
      {page.total === 0 ? (
        <Empty>
          {trans.__(
            'No model registered yet: run the pipeline (its register stage adds a version).'
          )}
        </Empty>
      ) : (
        <React.Fragment>
          <Pager {...props} />
          <ul className="mlmom-versions">
            {page.versions.map(v => (
              <VersionRow
                key={v.version}
                {...props}
                version={v}
                picked={picked.includes(v.version)}
                onPick={() => pick(v.version)}
              />
            ))}
          </ul>
        </React.Fragment>
      )}
      {compare && <CompareTable compare={compare} trans={trans} />}
      <h4>{trans.__('Alias history')}</h4>
      <ErrorNote error={registry.history.error} />
      <History events={registry.history.data?.events ?? []} trans={trans} />
      <details className="mlmom-audit">
        <summary>{trans.__('Audit trail')}</summary>
        <ErrorNote error={registry.audit.error} />
        <AuditTrail events={registry.audit.data?.events ?? []} trans={trans} />
      </details>
    </Section>
  );
}
