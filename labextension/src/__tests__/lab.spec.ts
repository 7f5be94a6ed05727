import { LabModel } from '../models/lab';
import { FakeServer, failure, job } from './fake-server';

const PROJECT = {
  project: 'churn-demo',
  model: 'churn',
  description: '',
  root: 'churn',
  stages: []
};

/** A server with a project at `churn` and an empty state for every concern. */
function serverWithProject(): FakeServer {
  return new FakeServer()
    .on('GET', 'project', call =>
      call.params.path.startsWith('churn')
        ? { body: PROJECT }
        : failure(
            404,
            `no mlmom.yaml in ${call.params.path || 'the root'} or above`,
            'not_found'
          )
    )
    .on('GET', 'pipeline', { body: { stages: [] } })
    .on('GET', 'registry', { body: { model: 'churn', total: 0, versions: [] } })
    .on('GET', 'registry/history', { body: { events: [] } })
    .on('GET', 'server', { body: { running: false } })
    .on('GET', 'monitoring', {
      body: { latest: null, history: [], alerts: [], reports: [] }
    });
}

describe('LabModel', () => {
  let server: FakeServer;
  let model: LabModel;

  beforeEach(() => {
    jest.useFakeTimers();
    server = serverWithProject();
    model = new LabModel({
      serverSettings: server.settings,
      jobPollInterval: 500
    });
  });

  afterEach(() => {
    model.dispose();
    jest.useRealTimers();
  });

  const endpoints = () =>
    server.calls.map(c => `${c.endpoint}?path=${c.params.path}`).sort();

  it("shows the project at a path: the project, then every concern's state", async () => {
    const changed = jest.fn();
    model.changed.connect(changed);
    await model.setPath('churn/notebooks');
    expect(model.path).toBe('churn/notebooks');
    expect(model.project.data?.project).toBe('churn-demo');
    expect(endpoints()).toEqual([
      'audit?path=churn/notebooks',
      'monitoring?path=churn/notebooks',
      'pipeline?path=churn/notebooks',
      'project?path=churn/notebooks',
      'registry/history?path=churn/notebooks',
      'registry?path=churn/notebooks',
      'server?path=churn/notebooks'
    ]);
    expect(model.registry.page.data?.model).toBe('churn');
    expect(model.deployments.server.data?.running).toBe(false);
    expect(model.monitoring.state.data?.reports).toEqual([]);
    expect(model.pipeline.stages.data?.stages).toEqual([]);
    expect(changed.mock.calls.length).toBeGreaterThanOrEqual(1);
  });

  it('asks nothing more where there is no project, and says why', async () => {
    await model.setPath('elsewhere');
    expect(model.project.data).toBeNull();
    expect(model.project.error).toBe('no mlmom.yaml in elsewhere or above');
    expect(endpoints()).toEqual(['project?path=elsewhere']);
  });

  it('keeps a path the user chose while other files open, until they clear it', async () => {
    await model.setPath('churn', true);
    expect(model.pinned).toBe(true);
    await model.setPath('elsewhere');
    expect(model.path).toBe('churn');
    await model.setPath('', true);
    expect(model.pinned).toBe(false);
    await model.setPath('elsewhere');
    expect(model.path).toBe('elsewhere');
  });

  it('does not fetch again for the same path, and shows the newest versions for a new one', async () => {
    await model.setPath('churn');
    const asked = server.calls.length;
    await model.setPath('churn');
    expect(server.calls.length).toBe(asked);

    server.on('GET', 'registry', {
      body: {
        model: 'churn',
        total: 60,
        versions: [{ version: '60' }, { version: '11' }]
      }
    });
    await model.refresh();
    await model.registry.showOlder();
    expect(model.registry.cursor).toEqual({ before: '11' });
    await model.setPath('churn/other');
    expect(model.registry.cursor).toEqual({});
  });

  it('refreshes every panel once a job ends', async () => {
    await model.setPath('churn');
    server
      .on('POST', 'pipeline/run', {
        body: job({ id: 'p1', status: 'running' })
      })
      .on('GET', 'jobs/p1', { body: job({ id: 'p1', status: 'done' }) });
    server.calls.length = 0;
    const run = model.pipeline.run();
    await jest.advanceTimersByTimeAsync(500);
    await run;
    expect(server.callsTo('GET', 'project')).toHaveLength(1);
    expect(server.callsTo('GET', 'pipeline')).toHaveLength(1);
    expect(model.jobs.latest('pipeline')?.status).toBe('done');
  });

  it('polls while wanted, every interval, and stops when disposed', async () => {
    await model.setPath('churn');
    server.calls.length = 0;
    let visible = true;
    model.poll(2, () => visible);
    expect(jest.getTimerCount()).toBe(1);

    await jest.advanceTimersByTimeAsync(2000);
    expect(server.callsTo('GET', 'project')).toHaveLength(1);
    visible = false;
    await jest.advanceTimersByTimeAsync(4000);
    expect(server.callsTo('GET', 'project')).toHaveLength(1);

    model.poll(10); // replaces the previous polling
    expect(jest.getTimerCount()).toBe(1);
    model.dispose();
    expect(model.isDisposed).toBe(true);
    expect(jest.getTimerCount()).toBe(0);
    expect(model.pipeline.isDisposed && model.jobs.isDisposed).toBe(true);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(server.callsTo('GET', 'project')).toHaveLength(1);
  });

  it('clears the timers of the jobs it follows when disposed', async () => {
    await model.setPath('churn');
    server
      .on('POST', 'server/start', {
        body: job({ id: 's1', kind: 'server', status: 'queued' })
      })
      .on('GET', 'jobs/s1', {
        body: job({ id: 's1', kind: 'server', status: 'running' })
      });
    model.poll(5);
    const start = model.deployments.start();
    await jest.advanceTimersByTimeAsync(0);
    expect(jest.getTimerCount()).toBe(2); // the polling and the job's next poll
    model.dispose();
    expect(jest.getTimerCount()).toBe(0);
    await expect(start).resolves.toMatchObject({ status: 'queued' });
  });

  it('polls at most every second', async () => {
    await model.setPath('churn');
    server.calls.length = 0;
    model.poll(0);
    await jest.advanceTimersByTimeAsync(999);
    expect(server.callsTo('GET', 'project')).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(server.callsTo('GET', 'project')).toHaveLength(1);
  });
});
