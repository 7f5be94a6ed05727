import { ServerConnection } from '@jupyterlab/services';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';

import { requestAPI } from '../api';

/**
 * The REST calls of the project shown: each carries the project's `?path=`, so a
 * new path applies to every model that shares the client at once.
 */
export class ProjectClient {
  constructor(options: ProjectClient.IOptions) {
    this._path = options.path;
    this.trans = (options.translator ?? nullTranslator).load('mlmom_lab');
    this._settings = options.serverSettings;
  }

  /** The messages of the models, in the user's language. */
  readonly trans: TranslationBundle;

  /** The project folder the calls are about, relative to the server root. */
  get path(): string {
    return this._path();
  }

  /** GET `mlmom/api/<endpoint>` with `params` next to the path. */
  get<T>(endpoint: string, params: Record<string, string> = {}): Promise<T> {
    return requestAPI<T>(
      endpoint,
      {},
      { path: this.path, ...params },
      this.context()
    );
  }

  /** POST `body` as JSON to `mlmom/api/<endpoint>`. */
  post<T>(endpoint: string, body: object = {}): Promise<T> {
    return requestAPI<T>(
      endpoint,
      { method: 'POST', body: JSON.stringify(body) },
      { path: this.path },
      this.context()
    );
  }

  private context() {
    // made per call by default, as requestAPI did: the page's settings are read then
    return {
      settings: this._settings ?? ServerConnection.makeSettings(),
      trans: this.trans
    };
  }

  private readonly _path: () => string;
  private readonly _settings?: ServerConnection.ISettings;
}

export namespace ProjectClient {
  export interface IOptions {
    /** The project folder the calls are about, read at each call. */
    path: () => string;
    translator?: ITranslator;
    /** The Jupyter server's settings; the page's by default. */
    serverSettings?: ServerConnection.ISettings;
  }
}
