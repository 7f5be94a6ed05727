import { MlmomAPIError, requestAPI } from '../api';
import { ProjectClient } from '../models/client';
import { Resource } from '../models/resource';
import { FakeServer, failure } from './fake-server';

describe('requestAPI', () => {
  it('calls mlmom/api/<endpoint> with the query and answers the parsed JSON', async () => {
    const server = new FakeServer().on('GET', 'registry', {
      body: { total: 3 }
    });
    const answer = await requestAPI<{ total: number }>(
      'registry',
      {},
      { path: 'a b', limit: '5' },
      {
        settings: server.settings
      }
    );
    expect(answer).toEqual({ total: 3 });
    expect(server.calls[0].params).toEqual({ path: 'a b', limit: '5' });
  });

  it("makes the server's {error, code} the error's message and code", async () => {
    const server = new FakeServer().on(
      'POST',
      'registry/promote',
      failure(400, 'version 9 does not exist', 'invalid')
    );
    const refused = requestAPI(
      'registry/promote',
      { method: 'POST', body: '{}' },
      {},
      {
        settings: server.settings
      }
    );
    await expect(refused).rejects.toBeInstanceOf(MlmomAPIError);
    await expect(refused).rejects.toMatchObject({
      message: 'version 9 does not exist',
      code: 'invalid',
      status: 400
    });
  });

  it('says which call failed when the answer has no error message', async () => {
    const server = new FakeServer().on('GET', 'server', {
      status: 502,
      body: undefined
    });
    await expect(
      requestAPI('server', {}, {}, { settings: server.settings })
    ).rejects.toThrow('mlmom-lab: server failed (502 Error)');
  });
});

describe('ProjectClient', () => {
  it('sends the path of the project shown with every call, read at each call', async () => {
    let path = 'one';
    const server = new FakeServer()
      .on('GET', 'project', { body: {} })
      .on('POST', 'server/stop', { body: {} });
    const client = new ProjectClient({
      path: () => path,
      serverSettings: server.settings
    });
    await client.get('project');
    path = 'two';
    await client.post('server/stop', { why: 'test' });
    expect(server.calls.map(c => [c.method, c.params, c.body])).toEqual([
      ['GET', { path: 'one' }, undefined],
      ['POST', { path: 'two' }, { why: 'test' }]
    ]);
  });
});

describe('Resource', () => {
  it('keeps the latest answer, or the latest error without the stale answer', async () => {
    const fetch = jest
      .fn()
      .mockResolvedValueOnce({ n: 1 })
      .mockRejectedValueOnce(new Error('gone'))
      .mockResolvedValueOnce({ n: 2 });
    const resource = new Resource<{ n: number }>(fetch);
    expect([resource.data, resource.error]).toEqual([null, null]);
    await resource.refresh();
    expect([resource.data, resource.error]).toEqual([{ n: 1 }, null]);
    await resource.refresh();
    expect([resource.data, resource.error]).toEqual([null, 'gone']);
    await resource.refresh();
    expect([resource.data, resource.error]).toEqual([{ n: 2 }, null]);
  });
});
