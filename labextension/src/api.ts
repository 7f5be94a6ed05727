import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

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

/**
 * Call the mlmom-lab server extension under `<baseUrl>mlmom/api/<endpoint>`.
 *
 * ServerConnection.makeRequest adds the token and XSRF headers the Jupyter way.
 *
 * @param endpoint - the route after `mlmom/api/`, e.g. `project`
 * @param init - the fetch options (method, body, ...)
 * @param params - query parameters, URL-encoded
 * @returns the parsed JSON body
 * @throws MlmomAPIError carrying the server's message on a non-2xx answer
 */
export async function requestAPI<T>(
  endpoint: string,
  init: RequestInit = {},
  params?: Record<string, string>
): Promise<T> {
  const settings = ServerConnection.makeSettings();
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
          `mlmom-lab: the server answered ${endpoint} with non-JSON content`,
          response.status
        );
      }
    }
  }

  if (!response.ok) {
    const message =
      data && typeof data.error === 'string'
        ? data.error
        : `mlmom-lab: ${endpoint} failed (${response.status} ${response.statusText})`;
    const code = data && data.code !== undefined ? String(data.code) : undefined;
    throw new MlmomAPIError(message, response.status, code);
  }
  return data as T;
}
