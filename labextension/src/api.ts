import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';

/**
 * The error of a failed call to the mlmom-lab REST API.
 *
 * The server answers failures as `{"error": <message>, "code": <code>}`; the
 * message becomes the Error's message, the code and HTTP status are kept.
 */
export class MlmomAPIError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code?: string
  ) {
    super(message);
    this.name = 'MlmomAPIError';
  }
}

/** Where and how `requestAPI` calls: the server's settings, the messages' language. */
export interface IRequestContext {
  settings?: ServerConnection.ISettings;
  trans?: TranslationBundle;
}

/**
 * Call the mlmom-lab server extension under `<baseUrl>mlmom/api/<endpoint>`.
 *
 * ServerConnection.makeRequest adds the token and XSRF headers the Jupyter way.
 *
 * @param endpoint - the route after `mlmom/api/`, e.g. `project`
 * @param init - the fetch options (method, body, ...)
 * @param params - query parameters, URL-encoded
 * @param context - the server settings (default: the page's) and translations
 * @returns the parsed JSON body
 * @throws MlmomAPIError carrying the server's message on a non-2xx answer
 */
export async function requestAPI<T>(
  endpoint: string,
  init: RequestInit = {},
  params?: Record<string, string>,
  context: IRequestContext = {}
): Promise<T> {
  const settings = context.settings ?? ServerConnection.makeSettings();
  const trans = context.trans ?? nullTranslator.load('mlmom_lab');
  let url = `${settings.baseUrl}mlmom/api/${endpoint}`;
  if (params && Object.keys(params).length > 0) {
    url += URLExt.objectToQueryString(params);
  }

  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new ServerConnection.NetworkError(error as TypeError);
  }

  const text = await response.text();
  let data: any = null;
  if (text.length > 0) {
    try {
      data = JSON.parse(text);
    } catch {
      if (response.ok) {
        throw new MlmomAPIError(
          trans.__(
            'mlmom-lab: the server answered %1 with non-JSON content',
            endpoint
          ),
          response.status
        );
      }
    }
  }

  if (!response.ok) {
    const message =
      data && typeof data.error === 'string'
        ? data.error
        : trans.__(
            'mlmom-lab: %1 failed (%2 %3)',
            endpoint,
            response.status,
            response.statusText
          );
    const code =
      data && data.code !== undefined ? String(data.code) : undefined;
    throw new MlmomAPIError(message, response.status, code);
  }
  return data as T;
}
