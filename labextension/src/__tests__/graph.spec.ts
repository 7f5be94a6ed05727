import { nullTranslator } from '@jupyterlab/translation';

import { layoutGraph, NODE_WIDTH } from '../graph-layout';
import { readParam } from '../stage-params';
import { stateOf } from '../stage-state';
import { IJob, IStage } from '../types';

const trans = nullTranslator.load('mlmom-lab');

const NEEDS = {
  prepare: [],
  train: ['prepare'],
  evaluate: ['train', 'prepare'],
  register: ['train', 'evaluate']
};

function stage(name: string, extra: Partial<IStage> = {}): IStage {
  return {
    stage: name,
    fresh: true,
    reasons: [],
    summary: '',
    params: [],
    needs: [],
    runs: [],
    last_run: null,
    executed_notebook: null,
    notebook: `${name}.ipynb`,
    ...extra
  };
}

describe('layoutGraph', () => {
  it('places every stage right of the stages it needs, nodes apart', () => {
    const layout = layoutGraph(NEEDS);
    const at: Record<string, (typeof layout.nodes)[0]> = {};
    layout.nodes.forEach(n => (at[n.id] = n));
    expect(Object.keys(at).sort()).toEqual(Object.keys(NEEDS).sort());
    for (const [id, ups] of Object.entries(NEEDS)) {
      for (const up of ups) {
        expect(at[id].x).toBeGreaterThanOrEqual(at[up].x + NODE_WIDTH);
      }
    }
    expect(layout.edges).toHaveLength(5);
    expect(layout.edges.every(e => e.path.startsWith('M'))).toBe(true);
    const right = Math.max(...layout.nodes.map(n => n.x + n.width));
    expect(layout.width).toBeGreaterThanOrEqual(right);
  });

  it('leaves out a need that is not a stage of the graph', () => {
    const layout = layoutGraph({ train: ['elsewhere'] });
    expect(layout.nodes.map(n => n.id)).toEqual(['train']);
    expect(layout.edges).toEqual([]);
  });
});

describe('stateOf', () => {
  const running: IJob = {
    id: 'j1',
    kind: 'pipeline',
    title: 'pipeline run',
    project: 'churn',
    status: 'running',
    stoppable: true,
    created: 1,
    started: 2,
    finished: null,
    steps: {
      train: { status: 'running', detail: 'executing', at: 100, cells: [3, 12] }
    },
    result: null,
    error: null
  };

  it('shows a running stage by its cells and since when it runs', () => {
    const state = stateOf(trans, stage('train'), running, true);
    expect(state).toMatchObject({
      status: 'running',
      short: 'cell 3 of 12',
      cells: [3, 12],
      since: 100
    });
  });

  it("shows a stale stage's summary, with every reason on hover", () => {
    const stale = stage('train', {
      fresh: false,
      reasons: ['parameter a changed: 1 -> 2', 'environment changed (+x-1)'],
      summary: 'parameter changed · environment changed'
    });
    const state = stateOf(trans, stale, undefined, false);
    expect(state.short).toBe('parameter changed · environment changed');
    expect(state.detail.split('\n')).toHaveLength(2);
  });
});

describe('readParam', () => {
  it('reads what was typed as the type of the spec value', () => {
    expect(readParam({ name: 'n', value: 6, type: 'int' }, '8')).toBe(8);
    expect(readParam({ name: 's', value: 0, type: 'float' }, '0.5')).toBe(0.5);
    expect(readParam({ name: 'b', value: true, type: 'bool' }, false)).toBe(
      false
    );
    expect(readParam({ name: 'x', value: 'a', type: 'str' }, ' b ')).toBe('b');
    expect(
      readParam({ name: 'l', value: [1], type: 'list' }, '[1, 2]')
    ).toEqual([1, 2]);
  });

  it('says what is wrong with a value of another type', () => {
    const whole = readParam({ name: 'n', value: 6, type: 'int' }, '2.5');
    expect((whole as Error).message).toBe('"2.5" is not a whole number');
    const number = readParam({ name: 's', value: 0, type: 'float' }, 'abc');
    expect((number as Error).message).toBe('"abc" is not a number');
    const list = readParam({ name: 'l', value: [], type: 'list' }, '{"a": 1}');
    expect((list as Error).message).toBe('"{"a": 1}" is not a JSON list');
  });
});
