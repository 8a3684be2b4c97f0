/**
 * A time-series line chart (uPlot on a canvas). The canvas is hidden from assistive technology: every
 * chart is followed by a table of the same numbers (the caller's children), which screen readers read.
 * Series differ by dash pattern and point shape as well as colour.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  values: (number | null)[];
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2'];
const DASHES: (number[] | undefined)[] = [undefined, [8, 4], [2, 3], [10, 3, 2, 3]];

export function LineChart(props: {
  /** The figure's caption (also its accessible name). */
  title: string;
  /** Unix seconds. */
  x: number[];
  series: ChartSeries[];
  yLabel: string;
  yRange?: [number, number];
  height?: number;
  testid?: string;
  /** The numbers behind the chart (a table). */
  children?: ComponentChildren;
}) {
  const mount = useRef<HTMLDivElement>(null);
  const { title, x, series, yLabel, yRange, height = 240 } = props;

  useEffect(() => {
    const element = mount.current;
    if (!element) return undefined;
    const width = () => Math.max(280, Math.floor(element.clientWidth || 600));
    const options: uPlot.Options = {
      width: width(),
      height,
      scales: { x: { time: true }, y: yRange ? { range: yRange } : { auto: true } },
      axes: [{}, { label: yLabel }],
      series: [
        {},
        ...series.map((s, i) => ({
          label: s.label,
          stroke: COLOURS[i % COLOURS.length],
          width: 2,
          dash: DASHES[i % DASHES.length],
          points: { show: true, size: 6 + (i % 3) * 2 },
          spanGaps: false,
        })),
      ],
    };
    const data: uPlot.AlignedData = [x, ...series.map((s) => s.values)];
    const plot = new uPlot(options, data, element);
    const observer = new ResizeObserver(() => plot.setSize({ width: width(), height }));
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [x, series, yLabel, yRange, height]);

  return (
    <figure class="chart" data-testid={props.testid}>
      <figcaption>{title}</figcaption>
      <div class="chart-canvas" ref={mount} aria-hidden="true" />
      {props.children}
    </figure>
  );
}
