import { ServerConnection } from '@jupyterlab/services';

import { ProjectClient } from '../models/client';
import { IConcernContext } from '../models/concern';
import { JobsModel } from '../models/jobs';
import { IJob } from '../types';

/** One request the models made: `GET registry?path=churn&limit=50` and its JSON body. */
export interface ICall {
  method: string;
  endpoint: string;
  params: Record<string, string>;
  body: any;
}

/** An answer: a JSON body and an HTTP status (200 unless said). */
export interface IAnswer {
  status?: number;
  body: unknown;
}

type Reply = IAnswer | ((call: ICall) => IAnswer);

/**
 * A stand-in for the mlmom-lab server extension: answers by method and endpoint
 * (in order, the last one again once they run out) and records every call.
 * It plugs in as the `fetch` of the server settings, so `ServerConnection` and
 * `requestAPI` run for real.
 */
export class FakeServer {
  readonly calls: ICall[] = [];
  readonly settings = ServerConnection.makeSettings({
    baseUrl: 'http://lab.test/',
    fetch: ((request: Request) => this.handle(request)) as any
  });

  /** Answer `method endpoint` with each reply in turn. */
  on(method: string, endpoint: string, ...replies: Reply[]): this {
    this._routes.set(`${method} ${endpoint}`, replies);
    return this;
  }

  /** The calls of a method and endpoint, in order. */
  callsTo(method: string, endpoint: string): ICall[] {
    return this.calls.filter(
      c => c.method === method && c.endpoint === endpoint
    );
  }

  private async handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const prefix = '/mlmom/api/';
    expect(url.pathname.startsWith(prefix)).toBe(true);
    const params: Record<string, string> = {};
    url.searchParams.forEach((value, key) => {
      if (!/^\d+$/.test(key)) {
        params[key] = value; // (not ServerConnection's cache-busting timestamp)
      }
    });
    const text = await request.text();
    const call: ICall = {
      method: request.method,
      endpoint: url.pathname.slice(prefix.length),
      params,
      body: text ? JSON.parse(text) : undefined
    };
    this.calls.push(call);
    const replies = this._routes.get(`${call.method} ${call.endpoint}`);
    const reply =
      replies && (replies.length > 1 ? replies.shift() : replies[0]);
    const answer: IAnswer = !reply
      ? {
          status: 404,
          body: {
            error: `no route ${call.method} ${call.endpoint}`,
            code: 'not_found'
          }
        }
      : typeof reply === 'function'
        ? reply(call)
        : reply;
    return response(answer);
  }

  private readonly _routes = new Map<string, Reply[]>();
}

/**
 * A Response with only what requestAPI reads: no body stream, so it resolves
 * under jest's fake timers too.
 */
function response(answer: IAnswer): Response {
  const status = answer.status ?? 200;
  return {
    ok: status >= 200 && status < 300,
    status,
    statusText: status === 200 ? 'OK' : 'Error',
    text: async () =>
      answer.body === undefined ? '' : JSON.stringify(answer.body)
  } as Response;
}

/** The server's failure body. */
export function failure(status: number, error: string, code: string): IAnswer {
  return { status, body: { error, code } };
}

/** A job as the server answers it. */
export function job(fields: Partial<IJob> & { id: string }): IJob {
  return {
    kind: 'pipeline',
    title: 'Run all stages',
    status: 'queued',
    stoppable: true,
    project: null,
    created: 1,
    started: null,
    finished: null,
    steps: {},
    log: [],
    log_next: 0,
    result: null,
    error: null,
    ...fields
  };
}

/** What a concern's model gets from the lab model, on a fake server, for project `churn`. */
export function concernContext(server: FakeServer): IConcernContext & {
  refreshAll: jest.Mock<Promise<void>, []>;
} {
  const client = new ProjectClient({
    path: () => 'churn',
    serverSettings: server.settings
  });
  const refreshAll = jest.fn(() => Promise.resolve());
  const jobs = new JobsModel({ client, onEnd: refreshAll, interval: 500 });
  return { client, jobs, refreshAll };
}

/** Let every pending answer and promise settle (fake timers do not move). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) {
    await Promise.resolve();
  }
  await jest.advanceTimersByTimeAsync(0);
}
