import {
  Dialog,
  Notification,
  showDialog,
  showErrorMessage
} from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { isCancellable, LabModel } from './models';
import { IJob, IRelease } from './types';

/** What every panel gets: the model, the translations, ways to open files. */
export interface IPanelProps {
  model: LabModel;
  trans: TranslationBundle;
  /** Open a file of the server's root in the lab. */
  open: (path: string) => void;
  /** Open a file of the server's root in a new browser tab (a report). */
  openUrl: (path: string) => void;
  /** Open a notebook of the server's root as a Voilà dashboard in a new browser tab. */
  openDashboard: (path: string) => void;
  /** Show one run's executed notebook of a stage in the main area. */
  openRun: (stage: string, runId: string) => void;
  /** Show the pipeline as a graph in the main area. */
  openGraph: () => void;
  /** Show the deployment or the monitoring over time in the main area. */
  openView: (view: 'deployment' | 'monitoring') => void;
  /** Show two or more versions side by side in the main area. */
  compare: (versions: string[]) => void;
}

/** The ways to open files that the plugin gives the panels. */
export type PanelActions = Omit<IPanelProps, 'model' | 'trans'>;

export type Tone = 'good' | 'warn' | 'bad' | 'info' | 'muted';

/** A coloured word: fresh/ok in green, stale/warn in amber, failed/drift in red. */
export function Badge(props: {
  tone: Tone;
  children: React.ReactNode;
  title?: string;
}): JSX.Element {
  return (
    <span
      className={`mlmom-badge mlmom-badge-${props.tone}`}
      title={props.title}
    >
      {props.children}
    </span>
  );
}

export function Empty(props: { children: React.ReactNode }): JSX.Element {
  return <div className="mlmom-empty">{props.children}</div>;
}

export function ErrorNote(props: { error: string | null }): JSX.Element | null {
  return props.error ? <div className="mlmom-error">{props.error}</div> : null;
}

export function Section(props: {
  title: string;
  actions?: React.ReactNode;
  children: React.ReactNode;
}): JSX.Element {
  return (
    <section className="mlmom-section">
      <header className="mlmom-section-header">
        <h3>{props.title}</h3>
        <div className="mlmom-actions">{props.actions}</div>
      </header>
      {props.children}
    </section>
  );
}

/** A Cancel button for a job started here while it can be cancelled (see isCancellable). */
export function CancelJob(props: {
  job: IJob | undefined;
  model: LabModel;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { job, trans } = props;
  if (!job || !isCancellable(job)) {
    return null;
  }
  const cancel = () =>
    attempt(trans, trans.__('cancelling %1', job.title), () =>
      props.model.jobs.cancel(job.id)
    );
  return (
    <button
      className="jp-mod-styled mlmom-cancel"
      data-job-id={job.id}
      title={trans.__('Cancel %1', job.title)}
      onClick={cancel}
    >
      {trans.__('Cancel')}
    </button>
  );
}

/** Ask before a change that moves production traffic; true when confirmed. */
export async function confirm(
  trans: TranslationBundle,
  title: string,
  body: string,
  label: string
): Promise<boolean> {
  const answer = await showDialog({
    title,
    body,
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.warnButton({ label })
    ]
  });
  return answer.button.accept;
}

/** Say how far a release reached, once its answer came: "canary v2 at 30% live on 2 of 2
 * workers in 1.8 s" (the server answers when every running worker serves it). */
export function announce(
  trans: TranslationBundle,
  release: IRelease | null | undefined
): void {
  if (release) {
    Notification.success(trans.__('mlmom-lab: %1', release.message), {
      autoClose: 6000
    });
  }
}

/** Run a panel action; its failure is shown in a dialog with the server's message. */
export async function attempt(
  trans: TranslationBundle,
  what: string,
  work: () => Promise<unknown>
): Promise<void> {
  try {
    await work();
  } catch (reason) {
    await showErrorMessage(
      trans.__('mlmom-lab: %1 failed', what),
      (reason as Error).message
    );
  }
}

export function when(seconds: number | null | undefined): string {
  return seconds ? new Date(seconds * 1000).toLocaleString() : '—';
}

/** The time of day for today's moments, the date for older ones. */
export function clock(seconds: number): string {
  const moment = new Date(seconds * 1000);
  return moment.toDateString() === new Date().toDateString()
    ? moment.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
    : moment.toLocaleDateString();
}

export function num(value: unknown, digits = 3): string {
  return typeof value === 'number'
    ? value.toFixed(digits).replace(/\.?0+$/, '')
    : String(value ?? '—');
}
