import { writeFileSync } from 'node:fs';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';

/** Renders a Vega spec to a PNG file (headless: Vega draws SVG, resvg rasterises it). */
async function renderPng(spec: vega.Spec, file: URL) {
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  const svg = await view.toSVG();
  const png = new Resvg(svg, { background: 'white', font: { loadSystemFonts: true } }).render().asPng();
  writeFileSync(file, png);
}

export interface ScalePoint {
  scenario: string;
  articles: number;
  p50: number;
}

/** Median p50 latency of each scenario against the number of articles, on a log axis. */
export function latencyVsSize(points: ScalePoint[], file: URL) {
  return renderPng(
    {
      $schema: 'https://vega.github.io/schema/vega/v6.json',
      width: 560,
      height: 320,
      padding: 10,
      title: { text: 'Newsdesk: p50 latency vs articles in the table (8 connections)' },
      data: [{ name: 'points', values: points }],
      scales: [
        { name: 'x', type: 'log', domain: { data: 'points', field: 'articles' }, range: 'width', nice: true },
        {
          name: 'y',
          type: 'linear',
          domain: { data: 'points', field: 'p50' },
          range: 'height',
          nice: true,
          zero: true,
        },
        { name: 'color', type: 'ordinal', domain: { data: 'points', field: 'scenario' }, range: 'category' },
      ],
      axes: [
        { orient: 'bottom', scale: 'x', title: 'articles', format: '~s' },
        { orient: 'left', scale: 'y', title: 'p50 latency (ms)' },
      ],
      legends: [{ fill: 'color', stroke: 'color', title: 'scenario', orient: 'right', labelLimit: 320 }],
      marks: [
        {
          type: 'group',
          from: { facet: { name: 'series', data: 'points', groupby: 'scenario' } },
          marks: [
            {
              type: 'line',
              from: { data: 'series' },
              sort: { field: 'datum.articles' },
              encode: {
                enter: {
                  x: { scale: 'x', field: 'articles' },
                  y: { scale: 'y', field: 'p50' },
                  stroke: { scale: 'color', field: 'scenario' },
                  strokeWidth: { value: 2 },
                },
              },
            },
            {
              type: 'symbol',
              from: { data: 'series' },
              encode: {
                enter: {
                  x: { scale: 'x', field: 'articles' },
                  y: { scale: 'y', field: 'p50' },
                  fill: { scale: 'color', field: 'scenario' },
                  size: { value: 30 },
                },
              },
            },
          ],
        },
      ],
    },
    file,
  );
}

export interface ComparisonBar {
  scenario: string;
  server: 'Newsdesk' | 'bare Fastify + pg';
  rps: number;
  /** Requests per second as a share of the bare route's, for the same scenario (median of paired runs). */
  share: number;
}

/** Newsdesk's requests per second as a share of the bare route's, side by side per scenario. */
export function newsdeskVsBare(bars: ComparisonBar[], title: string, file: URL) {
  return renderPng(
    {
      $schema: 'https://vega.github.io/schema/vega/v6.json',
      width: 420,
      height: 260,
      padding: 10,
      title: { text: title },
      data: [{ name: 'bars', values: bars }],
      scales: [
        {
          name: 'x',
          type: 'band',
          domain: { data: 'bars', field: 'scenario' },
          range: 'width',
          padding: 0.3,
        },
        { name: 'y', type: 'linear', domain: [0, 1.1], range: 'height', zero: true },
        {
          name: 'color',
          type: 'ordinal',
          domain: ['Newsdesk', 'bare Fastify + pg'],
          range: ['#4c78a8', '#bbbbbb'],
        },
      ],
      axes: [
        { orient: 'bottom', scale: 'x', labelLimit: 200 },
        {
          orient: 'left',
          scale: 'y',
          title: 'req/s share of the bare route (median of run pairs)',
          format: '%',
        },
      ],
      legends: [{ fill: 'color', orient: 'bottom', direction: 'horizontal' }],
      marks: [
        {
          type: 'group',
          from: { facet: { name: 'perScenario', data: 'bars', groupby: 'scenario' } },
          encode: { enter: { x: { scale: 'x', field: 'scenario' }, width: { scale: 'x', band: 1 } } },
          signals: [{ name: 'width', update: 'bandwidth("x")' }],
          scales: [
            {
              name: 'inner',
              type: 'band',
              range: 'width',
              domain: ['Newsdesk', 'bare Fastify + pg'],
              padding: 0.05,
            },
          ],
          marks: [
            {
              type: 'rect',
              from: { data: 'perScenario' },
              encode: {
                enter: {
                  x: { scale: 'inner', field: 'server' },
                  width: { scale: 'inner', band: 1 },
                  y: { scale: 'y', field: 'share' },
                  y2: { scale: 'y', value: 0 },
                  fill: { scale: 'color', field: 'server' },
                },
              },
            },
            {
              type: 'text',
              from: { data: 'perScenario' },
              encode: {
                enter: {
                  x: { scale: 'inner', field: 'server', band: 0.5 },
                  y: { scale: 'y', field: 'share', offset: -4 },
                  text: { signal: "format(datum.share, '.0%') + ' (' + datum.rps + ' req/s)'" },
                  align: { value: 'center' },
                  fontSize: { value: 10 },
                },
              },
            },
          ],
        },
      ],
    },
    file,
  );
}
