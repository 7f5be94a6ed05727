import { RegistryModel } from '../models/registry';
import { concernContext, failure, FakeServer } from './fake-server';

/** A page of versions, newest first. */
function page(
  versions: string[],
  more: { newer?: boolean; older?: boolean } = {}
) {
  return {
    model: 'churn',
    total: 120,
    newer: more.newer ?? false,
    older: more.older ?? false,
    versions: versions.map(version => ({ version, aliases: [] }))
  };
}

const RELEASE = { message: 'champion v7 live on 1 of 1 worker in 0.4 s' };

describe('RegistryModel', () => {
  let server: FakeServer;
  let context: ReturnType<typeof concernContext>;
  let model: RegistryModel;

  beforeEach(() => {
    server = new FakeServer();
    context = concernContext(server);
    model = new RegistryModel(context);
    server.on('GET', 'registry/history', {
      body: { events: [{ alias: 'champion' }] }
    });
    server.on('GET', 'audit', {
      body: {
        events: [{ kind: 'approval', what: 'version 7 approved' }],
        total: 9
      }
    });
  });

  afterEach(() => model.dispose());

  it('fetches the newest page of 50 versions and the alias history', async () => {
    server.on('GET', 'registry', {
      body: page(['120', '71'], { older: true })
    });
    const changed = jest.fn();
    model.changed.connect(changed);
    await model.refresh();
    expect(server.callsTo('GET', 'registry')[0].params).toEqual({
      path: 'churn',
      limit: '50'
    });
    expect(server.callsTo('GET', 'registry/history')[0].params).toEqual({
      path: 'churn'
    });
    expect(model.page.data?.versions.map(v => v.version)).toEqual([
      '120',
      '71'
    ]);
    expect(model.history.data?.events).toHaveLength(1);
    expect(server.callsTo('GET', 'audit')[0].params).toEqual({
      path: 'churn',
      limit: '100'
    });
    expect(model.audit.data?.total).toBe(9);
    expect(changed).toHaveBeenCalledTimes(1);
  });

  it('pages older and newer from the versions shown, and back to the newest', async () => {
    server.on(
      'GET',
      'registry',
      { body: page(['120', '71'], { older: true }) },
      { body: page(['70', '21'], { newer: true, older: true }) },
      { body: page(['120', '71'], { older: true }) }
    );
    await model.refresh();
    const changed = jest.fn();
    model.changed.connect(changed);

    await model.showOlder();
    expect(model.cursor).toEqual({ before: '71' });
    await model.showNewer();
    expect(model.cursor).toEqual({ after: '70' });
    model.resetCursor();
    await model.refresh();

    expect(server.callsTo('GET', 'registry').map(c => c.params)).toEqual([
      { path: 'churn', limit: '50' },
      { path: 'churn', limit: '50', before: '71' },
      { path: 'churn', limit: '50', after: '70' },
      { path: 'churn', limit: '50' }
    ]);
    expect(server.callsTo('GET', 'registry/history')).toHaveLength(2); // paging reads no history
    expect(changed).toHaveBeenCalledTimes(3);
  });

  it("keeps the server's message when the registry cannot be read", async () => {
    server.on(
      'GET',
      'registry',
      failure(404, 'no model churn in the registry', 'not_found')
    );
    await model.refresh();
    expect(model.page.data).toBeNull();
    expect(model.page.error).toBe('no model churn in the registry');
    expect(model.history.error).toBeNull();
  });

  it('compares the versions picked, in one request', async () => {
    server.on('GET', 'registry/compare', {
      body: { name: 'churn', versions: [], metrics: [] }
    });
    const compared = await model.compare(['10', '9', '3']);
    expect(compared.name).toBe('churn');
    expect(server.callsTo('GET', 'registry/compare')[0].params).toEqual({
      path: 'churn',
      versions: '10,9,3'
    });
    await model.compare(['1', '2'], 'elsewhere'); // a view keeps its own project
    expect(server.callsTo('GET', 'registry/compare')[1].params.path).toBe(
      'elsewhere'
    );
  });

  it('promotes a version from the lab, refreshes every panel, gives the release', async () => {
    server.on('POST', 'registry/promote', {
      body: { alias: 'champion', action: 'promote', release: RELEASE }
    });
    await expect(model.promote('7')).resolves.toEqual(RELEASE);
    expect(server.callsTo('POST', 'registry/promote')[0].body).toEqual({
      version: '7',
      reason: 'from the lab'
    });
    expect(context.refreshAll).toHaveBeenCalledTimes(1);
  });

  it('rolls the champion back; a refusal keeps the panels as they are', async () => {
    server.on(
      'POST',
      'registry/rollback',
      { body: { alias: 'champion', action: 'rollback', release: null } },
      failure(409, 'champion has no earlier version', 'conflict')
    );
    await model.rollback();
    expect(server.callsTo('POST', 'registry/rollback')[0].body).toEqual({
      reason: 'from the lab'
    });
    await expect(model.rollback()).rejects.toThrow(
      'champion has no earlier version'
    );
    expect(context.refreshAll).toHaveBeenCalledTimes(1);
  });
  it('approves and rejects with a reason; a four-eyes refusal comes back as the 403 says', async () => {
    const approved = {
      version: '3',
      status: 'approved',
      who: 'Bob (bob)',
      when: 1,
      why: 'card read'
    };
    server.on(
      'POST',
      'registry/approve',
      { body: approved },
      failure(
        403,
        'four eyes: Bob (bob) registered version 4; someone else must approve it',
        'forbidden'
      )
    );
    server.on('POST', 'registry/reject', {
      body: { ...approved, status: 'rejected' }
    });
    expect(await model.decide('3', 'approve', 'card read')).toEqual(approved);
    expect(server.callsTo('POST', 'registry/approve')[0].body).toEqual({
      version: '3',
      reason: 'card read'
    });
    await expect(model.decide('4', 'approve', 'mine')).rejects.toThrow(
      'four eyes: Bob (bob) registered version 4'
    );
    expect((await model.decide('3', 'reject', 'drifts')).status).toBe(
      'rejected'
    );
    expect(server.callsTo('POST', 'registry/reject')[0].body).toEqual({
      version: '3',
      reason: 'drifts'
    });
    expect(context.refreshAll).toHaveBeenCalledTimes(2);
  });
});
