import { MlmomAPIError } from '../api';
import { ProjectClient } from '../models/client';
import { isCancellable, isLive, JobsModel } from '../models/jobs';
import { IJob } from '../types';
import {
  concernContext,
  failure,
  FakeServer,
  job,
  settle
} from './fake-server';

describe('isCancellable', () => {
  it('offers Cancel while queued, and while running only for work that can stop', () => {
    expect(
      isCancellable(job({ id: 'a', status: 'queued', stoppable: false }))
    ).toBe(true);
    expect(
      isCancellable(job({ id: 'b', status: 'running', stoppable: true }))
    ).toBe(true);
    expect(
      isCancellable(job({ id: 'c', status: 'running', stoppable: false }))
    ).toBe(false);
    expect(isCancellable(job({ id: 'd', status: 'done' }))).toBe(false);
    expect(isCancellable(undefined)).toBe(false);
  });
});

describe('JobsModel', () => {
  let server: FakeServer;
  let jobs: JobsModel;
  let onEnd: jest.Mock;

  beforeEach(() => {
    jest.useFakeTimers();
    server = new FakeServer();
    const context = concernContext(server);
    jobs = context.jobs;
    onEnd = context.refreshAll;
  });

  afterEach(() => {
    jobs.dispose();
    jest.useRealTimers();
  });

  it('starts a job and polls it every 500 ms, from the next log line, until it ends', async () => {
    server
      .on('POST', 'pipeline/run', {
        status: 202,
        body: job({ id: 'j1', log: ['queued'], log_next: 1 })
      })
      .on(
        'GET',
        'jobs/j1',
        { body: job({ id: 'j1', status: 'running', log: ['a'], log_next: 2 }) },
        { body: job({ id: 'j1', status: 'done', log: ['b'], log_next: 3 }) }
      );
    const states: string[] = [];
    jobs.changed.connect((_, j) => states.push(`${j.status} ${j.log}`));
    const finished = jobs.start('pipeline/run', { stages: ['train'] });
    await settle();
    expect(server.calls).toEqual([
      {
        method: 'POST',
        endpoint: 'pipeline/run',
        params: { path: 'churn' },
        body: { stages: ['train'] }
      }
    ]);
    expect(jobs.get('j1')?.status).toBe('queued');

    await jest.advanceTimersByTimeAsync(499);
    expect(server.callsTo('GET', 'jobs/j1')).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(1);
    await jest.advanceTimersByTimeAsync(500);
    const final = await finished;

    expect(final.status).toBe('done');
    expect(
      server.callsTo('GET', 'jobs/j1').map(c => c.params.log_from)
    ).toEqual(['1', '2']);
    expect(states).toEqual([
      'queued queued',
      'running queued,a',
      'done queued,a,b'
    ]);
    expect(jobs.get('j1')?.log).toEqual(['queued', 'a', 'b']);
    expect(onEnd).toHaveBeenCalledTimes(1);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('refreshes the panels before the end shows', async () => {
    server.on('POST', 'monitoring/check', {
      body: job({ id: 'c1', kind: 'check', status: 'done' })
    });
    let seenAtRefresh: IJob | undefined = undefined;
    onEnd.mockImplementation(async () => {
      seenAtRefresh = jobs.get('c1');
    });
    await jobs.start('monitoring/check');
    expect(seenAtRefresh).toBeUndefined();
    expect(jobs.get('c1')?.status).toBe('done');
  });

  it('rejects a start the server refuses, with its message', async () => {
    server.on(
      'POST',
      'server/start',
      failure(409, 'a server already runs', 'busy')
    );
    const refused = jobs.start('server/start');
    await expect(refused).rejects.toThrow('a server already runs');
    await expect(refused).rejects.toMatchObject({ status: 409, code: 'busy' });
    expect(jobs.latest('server')).toBeUndefined();
  });

  it('complete() rejects with the error of a failed job, resolves a cancelled one', async () => {
    server
      .on('POST', 'monitoring/check', {
        body: job({
          id: 'c1',
          kind: 'check',
          status: 'failed',
          error: { error: 'no predictions logged', code: 'invalid' }
        })
      })
      .on('POST', 'monitoring/report', {
        body: job({ id: 'r1', kind: 'report', status: 'cancelled' as any })
      });
    await expect(jobs.complete('monitoring/check')).rejects.toThrow(
      'no predictions logged'
    );
    await expect(jobs.complete('monitoring/report')).resolves.toMatchObject({
      status: 'cancelled'
    });
  });

  it('cancels a job: POST jobs/<id>/cancel with {}, and its follower ends', async () => {
    server
      .on('POST', 'pipeline/run', {
        body: job({ id: 'j1', status: 'running', log: ['one'], log_next: 1 })
      })
      .on('POST', 'jobs/j1/cancel', {
        body: job({
          id: 'j1',
          status: 'running',
          log: ['one', 'cancel requested']
        })
      })
      .on('GET', 'jobs/j1', {
        body: job({
          id: 'j1',
          status: 'cancelled' as any,
          log: ['cancel requested']
        })
      });
    const finished = jobs.start('pipeline/run');
    await settle();

    const answer = await jobs.cancel('j1');
    expect(answer.status).toBe('running');
    expect(server.callsTo('POST', 'jobs/j1/cancel')).toEqual([
      {
        method: 'POST',
        endpoint: 'jobs/j1/cancel',
        params: { path: 'churn' },
        body: {}
      }
    ]);
    expect(jobs.get('j1')?.log).toEqual(['one']); // the followed log, not the answer's copy

    await jest.advanceTimersByTimeAsync(500);
    await expect(finished).resolves.toMatchObject({ status: 'cancelled' });
    expect(isLive(jobs.get('j1'))).toBe(false);
    expect(onEnd).toHaveBeenCalledTimes(1);
  });

  it("rejects a cancel the server refuses (409 busy) with the server's message", async () => {
    server.on(
      'POST',
      'jobs/s1/cancel',
      failure(409, 'a running server start cannot be stopped', 'busy')
    );
    const refused = jobs.cancel('s1');
    await expect(refused).rejects.toBeInstanceOf(MlmomAPIError);
    await expect(refused).rejects.toMatchObject({
      message: 'a running server start cannot be stopped',
      code: 'busy',
      status: 409
    });
  });

  it('knows the newest job of a kind', async () => {
    server.on(
      'POST',
      'monitoring/check',
      { body: job({ id: 'old', kind: 'check', status: 'done', created: 1 }) },
      { body: job({ id: 'new', kind: 'check', status: 'done', created: 2 }) }
    );
    await jobs.start('monitoring/check');
    await jobs.start('monitoring/check');
    expect(jobs.latest('check')?.id).toBe('new');
    expect(jobs.latest('report')).toBeUndefined();
  });

  it('keeps following through failed polls, waiting twice as long each time', async () => {
    server
      .on('POST', 'pipeline/run', {
        body: job({ id: 'j1', status: 'running', log: ['a'], log_next: 1 })
      })
      .on(
        'GET',
        'jobs/j1',
        failure(502, 'bad gateway', 'proxy'),
        failure(503, 'restarting', 'unavailable'),
        { body: job({ id: 'j1', status: 'done', log: ['b'], log_next: 2 }) }
      );
    const finished = jobs.start('pipeline/run');
    await settle();
    const polls = () => server.callsTo('GET', 'jobs/j1').length;

    await jest.advanceTimersByTimeAsync(500); // the first poll fails
    expect(polls()).toBe(1);
    await jest.advanceTimersByTimeAsync(999);
    expect(polls()).toBe(1); // the next after 1 s
    await jest.advanceTimersByTimeAsync(1);
    expect(polls()).toBe(2);
    await jest.advanceTimersByTimeAsync(2000); // then after 2 s, and it answers
    await expect(finished).resolves.toMatchObject({ status: 'done' });
    expect(jobs.get('j1')?.log).toEqual(['a', 'b']);
    expect(
      server.callsTo('GET', 'jobs/j1').map(c => c.params.log_from)
    ).toEqual(['1', '1', '1']);
  });

  it('gives up on a job the server no longer knows (404), and after 8 failed polls', async () => {
    server
      .on('POST', 'pipeline/run', {
        body: job({ id: 'j1', status: 'running' })
      })
      .on('GET', 'jobs/j1', failure(404, 'no job j1', 'not_found'))
      .on('POST', 'monitoring/check', {
        body: job({ id: 'c1', kind: 'check', status: 'running' })
      })
      .on('GET', 'jobs/c1', failure(503, 'restarting', 'unavailable'));
    const gone = jobs.start('pipeline/run');
    gone.catch(() => undefined);
    await jest.advanceTimersByTimeAsync(500);
    await expect(gone).rejects.toMatchObject({ status: 404 });
    expect(server.callsTo('GET', 'jobs/j1')).toHaveLength(1);

    const away = jobs.start('monitoring/check');
    away.catch(() => undefined);
    await jest.advanceTimersByTimeAsync(60_000);
    await expect(away).rejects.toMatchObject({ status: 503 });
    expect(server.callsTo('GET', 'jobs/c1')).toHaveLength(8);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('keeps an end the follower saw when a cancel answers later', async () => {
    server
      .on('POST', 'pipeline/run', { body: job({ id: 'j1', status: 'done' }) })
      .on('POST', 'jobs/j1/cancel', {
        body: job({ id: 'j1', status: 'running' })
      });
    await jobs.start('pipeline/run');
    await jobs.cancel('j1');
    expect(jobs.get('j1')?.status).toBe('done');
  });

  it("knows the newest job of a kind for the project shown, not another's", async () => {
    let path = 'churn';
    const client = new ProjectClient({
      path: () => path,
      serverSettings: server.settings
    });
    const scoped = new JobsModel({ client });
    server.on(
      'POST',
      'pipeline/run',
      { body: job({ id: 'a', status: 'done', created: 1 }) },
      { body: job({ id: 'b', status: 'done', created: 2 }) }
    );
    await scoped.start('pipeline/run');
    path = 'fraud';
    expect(scoped.latest('pipeline')).toBeUndefined();
    await scoped.start('pipeline/run');
    expect(scoped.latest('pipeline')?.id).toBe('b');
    path = 'churn';
    expect(scoped.latest('pipeline')?.id).toBe('a');
    scoped.dispose();
  });

  it('clears its poll timer on dispose and stops following', async () => {
    server
      .on('POST', 'pipeline/run', {
        body: job({ id: 'j1', status: 'running' })
      })
      .on('GET', 'jobs/j1', { body: job({ id: 'j1', status: 'running' }) });
    const changed = jest.fn();
    jobs.changed.connect(changed);
    const finished = jobs.start('pipeline/run');
    await settle();
    expect(jest.getTimerCount()).toBe(1);

    jobs.dispose();
    expect(jobs.isDisposed).toBe(true);
    expect(jest.getTimerCount()).toBe(0);
    await expect(finished).resolves.toMatchObject({ status: 'running' });
    await jest.advanceTimersByTimeAsync(5000);
    expect(server.callsTo('GET', 'jobs/j1')).toHaveLength(0);
    expect(changed).toHaveBeenCalledTimes(1);
  });
});

describe('isLive', () => {
  it('is true while a job is queued or running', () => {
    const states = ['queued', 'running', 'done', 'failed', 'cancelled'];
    expect(
      states.map(status => isLive(job({ id: 'x', status } as any)))
    ).toEqual([true, true, false, false, false]);
    expect(isLive(undefined)).toBe(false);
  });
});
