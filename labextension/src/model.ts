import { ISignal, Signal } from '@lumino/signaling';

import { requestAPI } from './api';
import {
  IAliasEvent,
  IJob,
  IMonitoring,
  IProject,
  IRegistryPage,
  IServer,
  IStage
} from './types';

/** One GET route's latest answer or error; `refresh` fetches it again. */
export class Resource<T> {
  constructor(
    private readonly endpoint: string,
    private readonly params: () => Record<string, string>
  ) {}

  data: T | null = null;
  error: string | null = null;

  async refresh(): Promise<void> {
    try {
      this.data = await requestAPI<T>(this.endpoint, {}, this.params());
      this.error = null;
    } catch (reason) {
      this.data = null;
      this.error = (reason as Error).message;
    }
  }
}

export const REGISTRY_PAGE = 50;

/**
 * The state of the project the sidebar shows: its project, pipeline, registry,
 * server and monitoring (one resource per concern, polled together), and the
 * jobs started from the panel. Widgets only render it.
 */
export class LabModel {
  path = '';
  pinned = false;
  /** The registry page shown: the newest, or the one before or after a version number. */
  registryCursor: { before?: string; after?: string } = {};
  readonly project = new Resource<IProject>('project', () => this.query());
  readonly pipeline = new Resource<{ stages: IStage[] }>('pipeline', () =>
    this.query()
  );
  readonly registry = new Resource<IRegistryPage>('registry', () => ({
    ...this.query(),
    ...this.registryCursor,
    limit: String(REGISTRY_PAGE)
  }));
  readonly history = new Resource<{ events: IAliasEvent[] }>('registry/history', () =>
    this.query()
  );
  readonly server = new Resource<IServer>('server', () => this.query());
  readonly monitoring = new Resource<IMonitoring>('monitoring', () =>
    this.query()
  );
  /** The jobs started here, by id, with their latest state. */
  readonly jobs = new Map<string, IJob>();

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Show the project at (or above) `path`, relative to the server root. A path the
   * user typed (`chosen`) sticks: opening files elsewhere no longer moves the panel.
   */
  async setPath(path: string, chosen = false): Promise<void> {
    if (chosen) {
      this.pinned = path !== '';
    } else if (this.pinned || (path === this.path && this.project.data)) {
      return;
    }
    this.path = path;
    this.registryCursor = {};
    await this.refresh();
  }

  async refresh(): Promise<void> {
    await this.project.refresh();
    if (this.project.data) {
      await Promise.all(
        [this.pipeline, this.registry, this.history, this.server, this.monitoring].map(r =>
          r.refresh()
        )
      );
    }
    this._changed.emit();
  }

  async pageRegistry(cursor: { before?: string; after?: string }): Promise<void> {
    this.registryCursor = cursor;
    await this.registry.refresh();
    this._changed.emit();
  }

  /** POST a change; the panels refresh once it is made. */
  async act<T>(endpoint: string, body: object = {}): Promise<T> {
    const answer = await requestAPI<T>(
      endpoint,
      { method: 'POST', body: JSON.stringify(body) },
      this.query()
    );
    await this.refresh();
    return answer;
  }

  /**
   * Start a job and follow it until it ends (the panels see every state).
   * Resolves with the final state (done or failed); rejects when refused.
   */
  async runJob(endpoint: string, body: object = {}): Promise<IJob> {
    let job = await requestAPI<IJob>(
      endpoint,
      { method: 'POST', body: JSON.stringify(body) },
      this.query()
    );
    let log: string[] = job.log ?? [];
    for (;;) {
      const ended = job.status === 'done' || job.status === 'failed';
      if (ended) {
        await this.refresh(); // the panels show the end together with what it changed
      }
      this.jobs.set(job.id, { ...job, log });
      this._changed.emit();
      if (ended) {
        break;
      }
      await new Promise(resolve => setTimeout(resolve, 500));
      job = await requestAPI<IJob>(`jobs/${job.id}`, {}, {
        ...this.query(),
        log_from: String(job.log_next ?? 0)
      });
      log = [...log, ...(job.log ?? [])];
    }
    return job;
  }

  /** Run a job to its end; a failed one rejects with its error (for a dialog to show). */
  async complete(endpoint: string, body: object = {}): Promise<IJob> {
    const job = await this.runJob(endpoint, body);
    if (job.error) {
      throw new Error(job.error.error);
    }
    return job;
  }

  /** The newest job of a kind started here, if any. */
  latestJob(kind: string): IJob | undefined {
    let found: IJob | undefined;
    for (const job of this.jobs.values()) {
      if (job.kind === kind && (!found || job.created > found.created)) {
        found = job;
      }
    }
    return found;
  }

  private query(): Record<string, string> {
    return { path: this.path };
  }

  private _changed = new Signal<this, void>(this);
}
