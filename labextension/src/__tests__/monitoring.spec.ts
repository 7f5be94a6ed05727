import { MonitoringModel } from '../models/monitoring';
import {
  concernContext,
  failure,
  FakeServer,
  job,
  settle
} from './fake-server';

describe('MonitoringModel', () => {
  let server: FakeServer;
  let context: ReturnType<typeof concernContext>;
  let model: MonitoringModel;

  beforeEach(() => {
    jest.useFakeTimers();
    server = new FakeServer();
    context = concernContext(server);
    model = new MonitoringModel(context);
  });

  afterEach(() => {
    model.dispose();
    context.jobs.dispose();
    jest.useRealTimers();
  });

  it('fetches the checks, alerts and reports', async () => {
    const state = {
      latest: null,
      history: [],
      alerts: [],
      reports: ['r.html']
    };
    server.on(
      'GET',
      'monitoring',
      { body: state },
      failure(400, 'no prediction log configured', 'invalid')
    );
    await model.refresh();
    expect(model.state.data).toEqual(state);
    expect(server.calls[0].params).toEqual({ path: 'churn' });
    await model.refresh();
    expect(model.state.error).toBe('no prediction log configured');
  });

  it('runs a check as a job, busy until it ends', async () => {
    server
      .on('POST', 'monitoring/check', {
        body: job({ id: 'c1', kind: 'check' })
      })
      .on('GET', 'jobs/c1', {
        body: job({ id: 'c1', kind: 'check', status: 'done' })
      });
    const checked = model.check();
    await settle();
    expect(model.busy).toBe(true);
    expect(model.job?.id).toBe('c1');
    await jest.advanceTimersByTimeAsync(500);
    await checked;
    expect(model.busy).toBe(false);
    expect(model.job).toBeUndefined();
  });

  it("gives a report's HTML file, or null when it was cancelled", async () => {
    server.on(
      'POST',
      'monitoring/report',
      {
        body: job({
          id: 'r1',
          kind: 'report',
          status: 'done',
          result: {
            html: 'churn/.mlmom/reports/drift-1.html',
            json: null,
            mlflow: null
          }
        })
      },
      { body: job({ id: 'r2', kind: 'report', status: 'cancelled' as any }) }
    );
    await expect(model.report()).resolves.toBe(
      'churn/.mlmom/reports/drift-1.html'
    );
    await expect(model.report()).resolves.toBeNull();
  });

  it("rejects with a failed check's error", async () => {
    server.on('POST', 'monitoring/check', {
      body: job({
        id: 'c1',
        kind: 'check',
        status: 'failed',
        error: { error: 'the window is empty', code: 'invalid' }
      })
    });
    await expect(model.check()).rejects.toThrow('the window is empty');
  });

  it("opens a dashboard's notebook and gives its path", async () => {
    server.on('POST', 'dashboards/open', {
      body: { path: 'churn/dashboards/drift.ipynb' }
    });
    await expect(model.dashboard('drift')).resolves.toBe(
      'churn/dashboards/drift.ipynb'
    );
    expect(server.calls[0].body).toEqual({ name: 'drift' });
    expect(context.refreshAll).toHaveBeenCalledTimes(1);
  });
});
