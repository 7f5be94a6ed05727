import { InputDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import {
  announce,
  attempt,
  Badge,
  confirm,
  IPanelProps,
  num,
  when
} from './common';
import { IVersion } from './types';

/* One version of the Registry panel: its row (aliases, approval, key metrics, Promote) and
 * its details (lineage, gate, approval with Approve / Reject, the model card). */

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

export function VersionRow(
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
          title={trans.__('Pick versions to compare side by side')}
          aria-label={trans.__('compare v%1', version.version)}
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
