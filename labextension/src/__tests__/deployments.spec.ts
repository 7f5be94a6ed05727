import { DeploymentsModel } from '../models/deployments';
import {
  concernContext,
  failure,
  FakeServer,
  job,
  settle
} from './fake-server';

const SERVER = {
  running: true,
  url: 'http://127.0.0.1:8080',
  deployment: {
    champion: '2',
    canary: null,
    canary_weight: 0,
    shadow: null,
    seq: 3
  },
  workers: [],
  traffic: { requests: 0, routes: [] }
};

describe('DeploymentsModel', () => {
  let server: FakeServer;
  let context: ReturnType<typeof concernContext>;
  let model: DeploymentsModel;

  beforeEach(() => {
    jest.useFakeTimers();
    server = new FakeServer();
    context = concernContext(server);
    model = new DeploymentsModel(context);
  });

  afterEach(() => {
    model.dispose();
    context.jobs.dispose();
    jest.useRealTimers();
  });

  it('fetches the server, its deployment and traffic', async () => {
    server.on(
      'GET',
      'server',
      { body: SERVER },
      failure(500, 'boom', 'internal')
    );
    const changed = jest.fn();
    model.changed.connect(changed);
    await model.refresh();
    expect(model.server.data?.deployment.champion).toBe('2');
    await model.refresh();
    expect(model.server.data).toBeNull();
    expect(model.server.error).toBe('boom');
    expect(changed).toHaveBeenCalledTimes(2);
  });

  it('starts the server as a job, and is starting until it ends', async () => {
    server
      .on('POST', 'server/start', {
        status: 202,
        body: job({ id: 's1', kind: 'server' })
      })
      .on('GET', 'jobs/s1', {
        body: job({ id: 's1', kind: 'server', status: 'done' })
      });
    const started = model.start();
    await settle();
    expect(model.starting).toBe(true);
    expect(model.job?.id).toBe('s1');
    await jest.advanceTimersByTimeAsync(500);
    await expect(started).resolves.toMatchObject({ status: 'done' });
    expect(model.starting).toBe(false);
    expect(context.refreshAll).toHaveBeenCalledTimes(1);
  });

  it('rejects with the reason the server did not start', async () => {
    server.on('POST', 'server/start', {
      body: job({
        id: 's1',
        kind: 'server',
        status: 'failed',
        error: { error: 'port 8080 is taken', code: 'busy' }
      })
    });
    await expect(model.start()).rejects.toThrow('port 8080 is taken');
  });

  it('stops the server and refreshes every panel', async () => {
    server.on('POST', 'server/stop', { body: { running: false } });
    await model.stop();
    expect(server.callsTo('POST', 'server/stop')[0]).toMatchObject({
      params: { path: 'churn' },
      body: {}
    });
    expect(context.refreshAll).toHaveBeenCalledTimes(1);
  });

  it('releases a canary, a shadow, and each move of the canary', async () => {
    const release = (message: string) => ({ body: { message } });
    server
      .on('POST', 'deployment/canary', release('canary v3 at 25%'))
      .on('POST', 'deployment/shadow', release('shadow v3'))
      .on('POST', 'deployment/promote', release('champion v3'))
      .on('POST', 'deployment/rollback', release('canary rolled back'))
      .on('POST', 'deployment/clear', release('cleared'));
    await expect(model.canary('3', 0.25)).resolves.toEqual({
      message: 'canary v3 at 25%'
    });
    await model.shadow('3');
    for (const step of ['promote', 'rollback', 'clear'] as const) {
      await model.release(step);
    }
    expect(server.calls.map(c => [c.endpoint, c.body])).toEqual([
      ['deployment/canary', { version: '3', weight: 0.25 }],
      ['deployment/shadow', { version: '3' }],
      ['deployment/promote', { reason: 'from the lab' }],
      ['deployment/rollback', { reason: 'from the lab' }],
      ['deployment/clear', { reason: 'from the lab' }]
    ]);
    expect(context.refreshAll).toHaveBeenCalledTimes(5);
  });

  it("shows a refused release's message", async () => {
    server.on(
      'POST',
      'deployment/promote',
      failure(409, 'no canary to promote', 'conflict')
    );
    await expect(model.release('promote')).rejects.toMatchObject({
      message: 'no canary to promote',
      code: 'conflict'
    });
    expect(context.refreshAll).not.toHaveBeenCalled();
  });
});
