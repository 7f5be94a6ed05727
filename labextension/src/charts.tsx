import * as React from 'react';
import uPlot from 'uplot';

/** One line (or set of bars) of a chart: its name and a value per x (null: none there). */
export interface ISeries {
  label: string;
  values: (number | null)[];
}

/** A moment marked across the chart (an alert on a timeline), at an x of the data. */
export interface IMark {
  x: number;
  label: string;
}

export interface IChartProps {
  /** What the chart shows, said to screen readers and shown above it. */
  title: string;
  /** The x of each point: seconds since the epoch when `time`, else positions. */
  x: number[];
  series: ISeries[];
  /** Names for the x values (a version's "v3") instead of numbers. */
  xLabels?: string[];
  time?: boolean;
  bars?: boolean;
  height?: number;
  /** With `time`: the seconds shown, up to the newest point (a window that slides). */
  window?: number;
  /** A sparkline: no axes, legend or cursor; only the line. */
  spark?: boolean;
  /** Lines across the chart, each named in its tooltip. */
  marks?: IMark[];
  className?: string;
}

/** The theme's colours, read when a chart is drawn (so light and dark both read well). */
function themeColors(): {
  series: string[];
  text: string;
  grid: string;
  mark: string;
} {
  const css = getComputedStyle(document.body);
  const v = (name: string, fallback: string) =>
    css.getPropertyValue(name).trim() || fallback;
  return {
    series: [
      v('--jp-brand-color1', '#1976d2'),
      v('--jp-warn-color1', '#f57c00'),
      v('--jp-success-color1', '#388e3c'),
      v('--jp-error-color1', '#d32f2f'),
      v('--jp-info-color1', '#0097a7'),
      v('--jp-ui-font-color2', '#757575')
    ],
    text: v('--jp-ui-font-color1', '#212121'),
    grid: v('--jp-border-color2', '#e0e0e0'),
    mark: v('--jp-error-color1', '#d32f2f')
  };
}

function options(
  props: IChartProps,
  width: number,
  height: number
): uPlot.Options {
  const colors = themeColors();
  const axis: uPlot.Axis = {
    stroke: colors.text,
    grid: { stroke: colors.grid, width: 1 },
    ticks: { stroke: colors.grid, width: 1 }
  };
  const labels = props.xLabels;
  const bars = props.bars ? uPlot.paths.bars?.({ size: [0.6, 48] }) : undefined;
  const spark = !!props.spark;
  return {
    width,
    height,
    scales: {
      x: {
        time: !!props.time,
        range: props.window
          ? (_, _min, max) => [max - props.window!, max]
          : undefined
      }
    },
    legend: { show: !spark && (props.series.length > 1 || !!labels) },
    cursor: spark ? { show: false } : { drag: { x: false, y: false } },
    padding: spark ? [2, 2, 2, 2] : undefined,
    axes: spark
      ? [{ show: false }, { show: false }]
      : [
          labels
            ? {
                ...axis,
                splits: () => props.x,
                values: (_, splits) =>
                  splits.map(s => labels[props.x.indexOf(s)] ?? '')
              }
            : axis,
          axis
        ],
    series: [
      labels
        ? { label: '', value: (_, x) => labels[props.x.indexOf(x)] ?? '' }
        : {},
      ...props.series.map((s, i) => {
        const color = colors.series[i % colors.series.length];
        return {
          label: s.label,
          stroke: color,
          width: 2,
          fill: props.bars ? color : undefined,
          paths: bars,
          points: { show: !props.bars, size: 6 }
        };
      })
    ],
    hooks: { draw: [chart => drawMarks(chart, props.marks ?? [], colors.mark)] }
  };
}

/** Dashed lines across the plot at the marks' x. */
function drawMarks(chart: uPlot, marks: IMark[], color: string): void {
  const ctx = chart.ctx;
  const { top, height } = chart.bbox;
  ctx.save();
  ctx.strokeStyle = color;
  ctx.setLineDash([4, 3]);
  ctx.lineWidth = Math.max(1, devicePixelRatio);
  for (const mark of marks) {
    const x = Math.round(chart.valToPos(mark.x, 'x', true));
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x, top + height);
    ctx.stroke();
  }
  ctx.restore();
}

/** Charts waiting to be made: one per task, so a view of a dozen never blocks the page. */
const waiting: (() => void)[] = [];

/** Make a chart in a task of its own; the answer cancels it (the view went first). */
function later(make: () => void): () => void {
  let wanted = true;
  waiting.push(() => wanted && make());
  if (waiting.length === 1) {
    setTimeout(makeNext, 0);
  }
  return () => {
    wanted = false;
  };
}

function makeNext(): void {
  waiting.shift()?.();
  if (waiting.length > 0) {
    setTimeout(makeNext, 0);
  }
}

/**
 * A small chart drawn by uPlot on a canvas: as wide as its container (it follows resizes),
 * made in a task of its own, and given new values without being made again. Screen readers
 * get the title and the marks.
 */
export function Chart(props: IChartProps): JSX.Element {
  const box = React.useRef<HTMLDivElement>(null);
  const plot = React.useRef<uPlot | null>(null);
  const height = props.height ?? 160;
  const data: uPlot.AlignedData = [props.x, ...props.series.map(s => s.values)];
  const latest = React.useRef(data);
  latest.current = data;
  // made anew when what it draws changes; new values alone are set into it
  const shape = JSON.stringify([
    props.series.map(s => s.label),
    props.xLabels && props.x,
    props.marks,
    [props.bars, props.spark, props.time, props.window, height]
  ]);
  React.useEffect(() => {
    const node = box.current;
    if (!node) {
      return;
    }
    const width = () => Math.max(props.spark ? 60 : 120, node.clientWidth);
    const cancel = later(() => {
      plot.current = new uPlot(
        options(props, width(), height),
        latest.current,
        node
      );
    });
    const resize = new ResizeObserver(() =>
      plot.current?.setSize({ width: width(), height })
    );
    resize.observe(node);
    return () => {
      cancel();
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [shape]);
  const numbers = JSON.stringify(data);
  React.useEffect(() => plot.current?.setData(latest.current), [numbers]);
  const marks = (props.marks ?? []).map(m => m.label).join('; ');
  // the largest value drawn, for whoever cannot read a canvas (tests, and a tooltip)
  const values = props.series.flatMap(s => s.values).filter(v => v !== null);
  const max = values.length ? Math.max(...(values as number[])) : undefined;
  return (
    <figure
      className={`mlmom-chart ${props.className ?? ''}`}
      role="img"
      aria-label={marks ? `${props.title}: ${marks}` : props.title}
    >
      {!props.spark && <figcaption>{props.title}</figcaption>}
      <div
        ref={box}
        className="mlmom-chart-plot"
        data-points={props.x.length}
        data-max={max}
      />
    </figure>
  );
}
