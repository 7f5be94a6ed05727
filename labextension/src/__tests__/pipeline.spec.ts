import { PipelineModel } from '../models/pipeline';
import {
  concernContext,
  failure,
  FakeServer,
  job,
  settle
} from './fake-server';

const STAGES = {
  stages: [
    { stage: 'prepare', fresh: true, reasons: [], needs: [], runs: [] },
    {
      stage: 'train',
      fresh: false,
      reasons: ['code changed'],
      needs: ['prepare'],
      runs: []
    }
  ]
};

describe('PipelineModel', () => {
  let server: FakeServer;
  let model: PipelineModel;

  beforeEach(() => {
    jest.useFakeTimers();
    server = new FakeServer();
    model = new PipelineModel(concernContext(server));
  });

  afterEach(() => {
    model.dispose();
    jest.useRealTimers();
  });

  it("fetches the stages of the project's pipeline and says it changed", async () => {
    server.on('GET', 'pipeline', { body: STAGES });
    const changed = jest.fn();
    model.changed.connect(changed);
    await model.refresh();
    expect(server.calls).toEqual([
      {
        method: 'GET',
        endpoint: 'pipeline',
        params: { path: 'churn' },
        body: undefined
      }
    ]);
    expect(model.stages.data?.stages.map(s => s.stage)).toEqual([
      'prepare',
      'train'
    ]);
    expect(model.stages.error).toBeNull();
    expect(changed).toHaveBeenCalledTimes(1);
  });

  it("keeps the server's message when the pipeline cannot be read", async () => {
    server.on(
      'GET',
      'pipeline',
      { body: STAGES },
      failure(400, 'mlmom.yaml: stage train needs an unknown stage', 'invalid')
    );
    await model.refresh();
    await model.refresh();
    expect(model.stages.data).toBeNull();
    expect(model.stages.error).toBe(
      'mlmom.yaml: stage train needs an unknown stage'
    );
  });

  it('runs stages and follows the run until it ends', async () => {
    server
      .on('POST', 'pipeline/run', {
        status: 202,
        body: job({
          id: 'p1',
          status: 'running',
          steps: { train: { status: 'running', detail: '', at: 1 } }
        })
      })
      .on('GET', 'jobs/p1', { body: job({ id: 'p1', status: 'done' }) });
    const run = model.run({ start: 'train' });
    await settle();
    expect(server.callsTo('POST', 'pipeline/run')[0].body).toEqual({
      start: 'train'
    });
    expect(model.running).toBe(true);
    expect(model.job?.steps.train.status).toBe('running');

    await jest.advanceTimersByTimeAsync(500);
    await expect(run).resolves.toMatchObject({ status: 'done' });
    expect(model.running).toBe(false);
  });

  it('shows a failed run in the panel rather than rejecting', async () => {
    server.on('POST', 'pipeline/run', {
      body: job({
        id: 'p1',
        status: 'failed',
        error: { error: 'train failed', code: 'stage' }
      })
    });
    await expect(model.run()).resolves.toMatchObject({ status: 'failed' });
    expect(server.callsTo('POST', 'pipeline/run')[0].body).toEqual({});
    expect(model.job?.error?.error).toBe('train failed');
  });

  it("gives the URL of a run's executed notebook for the project", () => {
    const url = new URL(
      model.executedUrl('train', 'abc123'),
      'http://lab.test'
    );
    expect(url.pathname).toBe('/mlmom/api/pipeline/executed');
    expect(url.search).toBe('?path=churn&run=abc123&stage=train');
  });

  it('stops saying it changed once disposed', async () => {
    server.on('GET', 'pipeline', { body: STAGES });
    const changed = jest.fn();
    model.changed.connect(changed);
    model.dispose();
    await model.refresh();
    expect(model.isDisposed).toBe(true);
    expect(changed).not.toHaveBeenCalled();
  });
});
