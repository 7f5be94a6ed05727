import { ServerConnection } from '@jupyterlab/services';
import { ITranslator } from '@jupyterlab/translation';
import { ISignal, Signal } from '@lumino/signaling';

import { IMlmomLab } from '../tokens';
import { IProject } from '../types';
import { ProjectClient } from './client';
import { IConcernContext } from './concern';
import { DeploymentsModel } from './deployments';
import { JobsModel } from './jobs';
import { MonitoringModel } from './monitoring';
import { PipelineModel } from './pipeline';
import { RegistryModel } from './registry';
import { Resource } from './resource';

/**
 * The project the sidebar shows: its path (pinned once the user chose it), the
 * project itself, one model per concern, and the jobs started from the lab.
 * Views only render it and call its methods.
 */
export class LabModel implements IMlmomLab {
  constructor(options: LabModel.IOptions = {}) {
    this.client = new ProjectClient({
      path: () => this._path,
      translator: options.translator,
      serverSettings: options.serverSettings
    });
    this.jobs = new JobsModel({
      client: this.client,
      onEnd: () => this.refresh(),
      interval: options.jobPollInterval
    });
    const context: IConcernContext = {
      client: this.client,
      jobs: this.jobs,
      refreshAll: () => this.refresh()
    };
    this.pipeline = new PipelineModel(context);
    this.registry = new RegistryModel(context);
    this.deployments = new DeploymentsModel(context);
    this.monitoring = new MonitoringModel(context);
    this.project = new Resource<IProject>(() => this.client.get('project'));
    for (const concern of this.concerns()) {
      concern.changed.connect(this.emitChanged, this);
    }
    this.jobs.changed.connect(this.emitChanged, this);
  }

  readonly client: ProjectClient;
  readonly project: Resource<IProject>;
  readonly jobs: JobsModel;
  readonly pipeline: PipelineModel;
  readonly registry: RegistryModel;
  readonly deployments: DeploymentsModel;
  readonly monitoring: MonitoringModel;

  /** The project folder shown, relative to the server root ('' for the root). */
  get path(): string {
    return this._path;
  }

  /** Whether the user chose the path: opening files elsewhere no longer moves it. */
  get pinned(): boolean {
    return this._pinned;
  }

  /** Emits when anything shown changed: the project, a concern, a job. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Show the project at (or above) `path`, relative to the server root. A path the
   * user typed (`chosen`) sticks: opening files elsewhere no longer moves the panel.
   */
  async setPath(path: string, chosen = false): Promise<void> {
    if (chosen) {
      this._pinned = path !== '';
    } else if (this._pinned || (path === this._path && this.project.data)) {
      return;
    }
    this._path = path;
    this.registry.resetCursor();
    await this.refresh();
  }

  /** Fetch the project, then (when there is one) every concern's state. */
  async refresh(): Promise<void> {
    await this.project.refresh();
    this.emitChanged();
    if (this.project.data) {
      await Promise.all(this.concerns().map(concern => concern.refresh()));
    }
  }

  /**
   * Refresh every `seconds` (at least 1) while `wanted()` says so (the sidebar is
   * visible); a new call replaces the previous polling.
   */
  poll(seconds: number, wanted: () => boolean = () => true): void {
    this.stopPolling();
    if (this._isDisposed) {
      return;
    }
    this._poll = setInterval(
      () => {
        if (wanted()) {
          void this.refresh();
        }
      },
      Math.max(1, seconds) * 1000
    );
  }

  stopPolling(): void {
    if (this._poll !== null) {
      clearInterval(this._poll);
      this._poll = null;
    }
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this.stopPolling();
    this.jobs.dispose();
    for (const concern of this.concerns()) {
      concern.dispose();
    }
    Signal.clearData(this);
  }

  private concerns() {
    return [this.pipeline, this.registry, this.deployments, this.monitoring];
  }

  private emitChanged(): void {
    if (!this._isDisposed) {
      this._changed.emit();
    }
  }

  private _path = '';
  private _pinned = false;
  private _poll: ReturnType<typeof setInterval> | null = null;
  private _isDisposed = false;
  private readonly _changed = new Signal<this, void>(this);
}

export namespace LabModel {
  export interface IOptions {
    translator?: ITranslator;
    /** The Jupyter server's settings; the page's by default. */
    serverSettings?: ServerConnection.ISettings;
    /** Milliseconds between two polls of a running job. */
    jobPollInterval?: number;
  }
}
