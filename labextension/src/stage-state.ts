import { TranslationBundle } from '@jupyterlab/translation';

import { Tone } from './common';
import { IJob, IStage } from './types';

/** The badge colour of each stage or run status. */
export const TONE: Record<string, Tone> = {
  fresh: 'good',
  ran: 'good',
  cached: 'good',
  restored: 'good',
  stale: 'warn',
  running: 'info',
  waiting: 'muted',
  failed: 'bad',
  skipped: 'muted'
};

/** The words for a stage's or a run's status (the server's word when unknown). */
export function statusLabel(trans: TranslationBundle, status: string): string {
  const labels: Record<string, string> = {
    fresh: trans.__('fresh'),
    stale: trans.__('stale'),
    ran: trans.__('ran'),
    cached: trans.__('cached'),
    restored: trans.__('restored'),
    queued: trans.__('queued'),
    running: trans.__('running'),
    waiting: trans.__('waiting'),
    done: trans.__('done'),
    failed: trans.__('failed'),
    cancelled: trans.__('cancelled'),
    skipped: trans.__('skipped')
  };
  return labels[status] ?? status;
}

/** A stage as it shows: its status, a few words on why, the whole story on hover, and,
 * while it runs, its cells done and when it started. */
export interface IStageState {
  status: string;
  /** A short badge: "2 parameters changed", "cell 3 of 12", "run 2024…". */
  short: string;
  /** Everything known, one reason per line (a tooltip). */
  detail: string;
  /** [done, total] code cells while the stage's notebook runs. */
  cells?: number[];
  /** When the stage took its status in the run shown (seconds since the epoch). */
  since?: number;
}

/** A stage's state: the latest run started here while it runs (or failed), else the cache's. */
export function stateOf(
  trans: TranslationBundle,
  stage: IStage,
  job: IJob | undefined,
  running: boolean
): IStageState {
  const step = job?.steps[stage.stage];
  if (step && (running || step.status === 'failed')) {
    const cells = step.cells ?? undefined;
    const short = cells
      ? trans.__('cell %1 of %2', cells[0], cells[1])
      : step.status === 'failed'
        ? trans.__('failed')
        : step.detail;
    return {
      status: step.status,
      short,
      detail: step.detail,
      cells,
      since: step.at
    };
  }
  if (stage.fresh) {
    const ran = stage.last_run ? trans.__('run %1', stage.last_run) : '';
    return { status: 'fresh', short: ran, detail: ran };
  }
  return {
    status: 'stale',
    short: stage.summary,
    detail: stage.reasons.join('\n')
  };
}

/** "3 of 4 stage(s) done" for a run's progress line. */
export function progressOf(trans: TranslationBundle, job: IJob): string {
  const steps = Object.values(job.steps);
  const done = steps.filter(
    s => !['waiting', 'running'].includes(s.status)
  ).length;
  return trans.__('%1 of %2 stage(s) done', done, steps.length);
}

/** Seconds as "42 s" or "3 min 05 s". */
export function elapsed(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  return s < 60
    ? `${s} s`
    : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}
