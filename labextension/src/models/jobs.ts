import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { MlmomAPIError } from '../api';
import { IJob } from '../types';
import { ProjectClient } from './client';

/** How long to wait between two polls of a running job, in milliseconds. */
export const JOB_POLL_MS = 500;

/** The longest wait between two polls while the server does not answer. */
export const JOB_POLL_MAX_MS = 8000;

/** Polls in a row that may fail (a restarting server, a dropped proxy) before a follower gives up. */
export const JOB_POLL_TRIES = 8;

/** Whether a job still runs (queued or running): it ended done, failed or cancelled. */
export function isLive(job: IJob | undefined): boolean {
  return job?.status === 'queued' || job?.status === 'running';
}

/** Whether a job can be cancelled now: queued, or running work that can stop (a pipeline run). */
export function isCancellable(job: IJob | undefined): boolean {
  return (
    job?.status === 'queued' || (job?.status === 'running' && job.stoppable)
  );
}

/**
 * The jobs started from the lab (a pipeline run, starting the server, a check,
 * a report): each is followed through `jobs/<id>` until it ends, and can be
 * cancelled through `jobs/<id>/cancel`.
 */
export class JobsModel implements IDisposable {
  constructor(options: JobsModel.IOptions) {
    this._client = options.client;
    this._onEnd = options.onEnd ?? (() => Promise.resolve());
    this._interval = options.interval ?? JOB_POLL_MS;
  }

  /** Emits a job each time its state (status, steps, log) changes. */
  get changed(): ISignal<this, IJob> {
    return this._changed;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** The latest state of a job started here. */
  get(id: string): IJob | undefined {
    return this._jobs.get(id);
  }

  /** The newest job of a kind started here for the project shown now, if any. */
  latest(kind: string): IJob | undefined {
    const path = this._client.path;
    let found: IJob | undefined;
    for (const job of this._jobs.values()) {
      const here = this._paths.get(job.id) === path;
      if (
        here &&
        job.kind === kind &&
        (!found || job.created > found.created)
      ) {
        found = job;
      }
    }
    return found;
  }

  /**
   * Start a job (POST `endpoint`) and follow it until it ends; the panels see
   * every state. Resolves with the final state (or the last one known when the
   * model is disposed first); rejects when the server refuses to start it.
   */
  async start(endpoint: string, body: object = {}): Promise<IJob> {
    const path = this._client.path;
    let job = await this._client.post<IJob>(endpoint, body);
    this._paths.set(job.id, path);
    let log: string[] = job.log ?? [];
    for (;;) {
      const ended = !isLive(job);
      if (ended) {
        await this._onEnd(); // the panels show the end together with what it changed
      }
      this.store({ ...job, log });
      if (ended || !(await this.wait(this._interval))) {
        return job;
      }
      const next = await this.poll(job);
      if (!next) {
        return this.get(job.id) ?? job; // disposed while the server was away
      }
      job = next;
      log = [...log, ...(job.log ?? [])];
    }
  }

  /**
   * Run a job to its end; a failed one rejects with its error (for a dialog to
   * show). A cancelled one resolves: the user asked for it.
   */
  async complete(endpoint: string, body: object = {}): Promise<IJob> {
    const job = await this.start(endpoint, body);
    if (job.status === 'failed') {
      throw new Error(
        job.error?.error ?? this._client.trans.__('%1 failed', job.title)
      );
    }
    return job;
  }

  /**
   * Ask the server to cancel a job: a queued one stops at once, a running one
   * when its work can stop (else the server answers 409, and this rejects with
   * its message). The job's follower sees it end at its next poll.
   */
  async cancel(id: string): Promise<IJob> {
    const job = await this._client.post<IJob>(`jobs/${id}/cancel`, {});
    const known = this._jobs.get(id);
    if (!known || isLive(known)) {
      // (an end the follower saw first stays); the answer's log starts at line 0:
      // keep the one followed so far
      this.store({ ...job, log: known?.log ?? job.log });
    }
    return job;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    for (const [timer, stop] of this._timers) {
      clearTimeout(timer);
      stop();
    }
    this._timers.clear();
    Signal.clearData(this);
  }

  private store(job: IJob): void {
    if (!this._isDisposed) {
      this._jobs.set(job.id, job);
      this._changed.emit(job);
    }
  }

  /**
   * The job's next state, from the next log line. A poll that fails is tried
   * again, waiting twice as long each time (up to JOB_POLL_MAX_MS): a server that
   * restarts or a proxy that drops one request does not lose the job. It rejects
   * when the server no longer knows the job (404) or after JOB_POLL_TRIES
   * failures; resolves undefined when the model is disposed meanwhile.
   */
  private async poll(job: IJob): Promise<IJob | undefined> {
    let pause = this._interval;
    for (let failures = 1; ; failures++) {
      try {
        return await this._client.get<IJob>(`jobs/${job.id}`, {
          log_from: String(job.log_next ?? 0)
        });
      } catch (error) {
        const gone = error instanceof MlmomAPIError && error.status === 404;
        if (gone || failures >= JOB_POLL_TRIES) {
          throw error;
        }
      }
      pause = Math.min(pause * 2, JOB_POLL_MAX_MS);
      if (!(await this.wait(pause))) {
        return undefined;
      }
    }
  }

  /** Wait `ms` milliseconds: true once it is time, false when disposed first. */
  private wait(ms: number): Promise<boolean> {
    if (this._isDisposed) {
      return Promise.resolve(false);
    }
    return new Promise(resolve => {
      const timer = setTimeout(() => {
        this._timers.delete(timer);
        resolve(true);
      }, ms);
      this._timers.set(timer, () => resolve(false));
    });
  }

  private readonly _client: ProjectClient;
  private readonly _onEnd: () => Promise<void>;
  private readonly _interval: number;
  private readonly _jobs = new Map<string, IJob>();
  private readonly _paths = new Map<string, string>(); // job id -> project path it was started for
  private readonly _timers = new Map<
    ReturnType<typeof setTimeout>,
    () => void
  >();
  private readonly _changed = new Signal<this, IJob>(this);
  private _isDisposed = false;
}

export namespace JobsModel {
  export interface IOptions {
    client: ProjectClient;
    /** Called when a followed job ends, before its end shows (refresh the panels). */
    onEnd?: () => Promise<void>;
    /** Milliseconds between two polls of a running job. */
    interval?: number;
  }
}
