import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { ProjectClient } from './client';
import { JobsModel } from './jobs';

/** What every concern's model shares with the others (see LabModel). */
export interface IConcernContext {
  /** The REST calls of the project shown. */
  readonly client: ProjectClient;
  /** The jobs started from the lab. */
  readonly jobs: JobsModel;
  /**
   * Refresh every panel: a change made in one concern shows in the others
   * (promoting a version moves the deployment; a run adds a version).
   */
  refreshAll(): Promise<void>;
}

/** The model of one concern (a panel): its resources, its actions, its signal. */
export abstract class ConcernModel implements IDisposable {
  constructor(protected readonly context: IConcernContext) {}

  /** Emits when the concern's state (its resources) changed. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Fetch the concern's resources again. */
  async refresh(): Promise<void> {
    await this.fetch();
    this.emitChanged();
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    Signal.clearData(this);
  }

  /** Fetch the concern's resources (each keeps its answer or its error). */
  protected abstract fetch(): Promise<void>;

  protected emitChanged(): void {
    if (!this._isDisposed) {
      this._changed.emit();
    }
  }

  protected get trans() {
    return this.context.client.trans;
  }

  /** POST a change; every panel is refreshed once it is made. */
  protected async act<T>(endpoint: string, body: object = {}): Promise<T> {
    const answer = await this.context.client.post<T>(endpoint, body);
    await this.context.refreshAll();
    return answer;
  }

  private readonly _changed = new Signal<this, void>(this);
  private _isDisposed = false;
}

/**
 * The reason recorded with the changes made from the lab. It is data (stored in
 * the alias history and the deployment), not a message, so it is not translated.
 */
export const FROM_THE_LAB = 'from the lab';
