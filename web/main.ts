// The page: controls ↔ URL ↔ worker; draws what the worker's snapshots say (the main thread never trains).
import 'uplot/dist/uPlot.min.css';
import './style.css';
import type uPlot from 'uplot';
import { decodeState, encodeState, sameTraining, type PageState } from './state.ts';
import { fillChoices, readForm, writeForm } from './form.ts';
import { appendRow, createHistory, makeRow, SV_KEEP, toPoint } from './history.ts';
import { colourScale } from './snapshot.ts';
import { drawHeatmap } from './heatmap.ts';
import { createErrorChart, createRatioChart, createSvChart, errorData, ratioData, svData } from './charts.ts';
import { buildResults, RUN_LABELS } from './results.ts';
import { watchMainThread } from './perf.ts';
import type { FromWorker, ProblemMessage, RunSnapshot, ToWorker } from './protocol.ts';

/** History rows kept (see History): about one per pixel of a wide chart. */
const HISTORY_CAPACITY = 1000;
/** Least time between two redraws of the line charts (ms); heatmaps and numbers follow every snapshot. */
const CHART_MS = 250;

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const form = $<HTMLFormElement>('controls');
const startButton = $<HTMLButtonElement>('start');
const notice = $<HTMLParagraphElement>('notice');
const perf = watchMainThread();

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const send = (msg: ToWorker): void => worker.postMessage(msg);

let state: PageState;
let gen = 0;
let running = false;
let finished = false;
let problem: ProblemMessage | null = null;
let scale = 1;
let latest: RunSnapshot[] = [];
let record = createHistory(HISTORY_CAPACITY);
let svCount = 0;
let drawPending = false;
let chartTimer: ReturnType<typeof setTimeout> | null = null;
let lastChartDraw = -Infinity;
let errorChart: uPlot | null = null;
let ratioChart: uPlot | null = null;
let svCharts: uPlot[] = [];

function setNotice(lines: string[]): void {
  notice.textContent = lines.join(' · ');
}

/** Show the state in the address bar (replacing the entry: settings are not navigation). */
function writeUrl(): void {
  history.replaceState(null, '', `${location.pathname}?${encodeState(state)}`);
}

/** Start over with the current state: new problem, new runs, empty history. */
function configure(): void {
  gen++;
  running = false;
  finished = false;
  problem = null;
  latest = [];
  record = createHistory(HISTORY_CAPACITY);
  send({ type: 'configure', gen, state });
  updateButtons();
}

function updateButtons(): void {
  startButton.textContent = running ? 'Pause' : finished ? 'Finished' : 'Start';
  startButton.disabled = finished || !problem;
  document.body.dataset.running = String(running);
}

function onProblem(msg: ProblemMessage): void {
  problem = msg;
  scale = colourScale(msg.truth);
  drawHeatmap($<HTMLCanvasElement>('truth'), msg.truth, msg.n, scale);
  drawHeatmap($<HTMLCanvasElement>('mask'), msg.truth, msg.n, scale, msg.mask);
  $('mask-caption').textContent = `observed entries: ${msg.samples} of ${msg.n * msg.n} (grey: hidden)`;
  const count = Math.min(msg.n, SV_KEEP);
  if (count !== svCount || svCharts.length === 0) {
    for (const c of svCharts) c.destroy();
    svCount = count;
    svCharts = ['chart-sv-a', 'chart-sv-b'].map((id) => createSvChart($(id), count));
  }
  updateButtons();
}

function onSnapshot(runs: RunSnapshot[], workerRunning: boolean): void {
  latest = runs;
  running = workerRunning;
  finished = runs.every((r) => r.status !== 'active');
  appendRow(record, makeRow(runs.map((r) => ({ step: r.step, point: toPoint(r.metrics) }))));
  updateButtons();
  if (!drawPending) {
    drawPending = true;
    requestAnimationFrame(() => {
      drawPending = false;
      perf.timeDraw(draw);
    });
  }
  scheduleCharts();
}

/** Redraw the charts within CHART_MS, one chart per animation frame (so no frame does all the drawing). */
function scheduleCharts(): void {
  if (chartTimer !== null) return;
  chartTimer = setTimeout(
    () => {
      chartTimer = null;
      lastChartDraw = performance.now();
      drawChart(0);
    },
    Math.max(0, lastChartDraw + CHART_MS - performance.now()),
  );
}

/** Feed the history to chart `i` (0: errors, 1: L∗/F and effective rank, 2 and 3: singular values), then the next. */
function drawChart(i: number): void {
  requestAnimationFrame(() => {
    perf.timeDraw(() => {
      const rows = record.rows;
      if (i === 0) errorChart?.setData(errorData(rows));
      else if (i === 1) ratioChart?.setData(ratioData(rows));
      else svCharts[i - 2]?.setData(svData(rows, i - 2, svCount));
    });
    if (i < 3) drawChart(i + 1);
  });
}

const fmt = (x: number | null, digits = 3): string =>
  x === null ? 'n/a' : Number.isFinite(x) ? x.toPrecision(digits) : String(x);

/** Draw the latest snapshot: estimates and numbers (with drawChart, the only work the main thread does). */
function draw(): void {
  if (!problem || latest.length === 0) return;
  const n = problem.n;
  latest.forEach((snap, i) => {
    const id = i === 0 ? 'a' : 'b';
    drawHeatmap($<HTMLCanvasElement>(`estimate-${id}`), snap.estimate, n, scale);
    const m = snap.metrics;
    const status =
      snap.status === 'diverged'
        ? `diverged: ${snap.error}`
        : snap.status === 'done'
          ? `stopped (${snap.stopReason})`
          : running
            ? 'running'
            : 'paused';
    const el = $(`stats-${id}`);
    el.textContent =
      `${RUN_LABELS[i]} (${state.runs[i].optimizer}, ${state.runs[i].penalty}): step ${snap.step}` +
      (running && snap.status === 'active' ? `, ${Math.round(snap.stepsPerSecond)} steps/s` : '') +
      ` · rel. error observed ${fmt(m.relObserved)}, unobserved ${fmt(m.relUnobserved)}` +
      ` · L∗/F ${fmt(m.ratio)} · eff. rank ${fmt(m.effectiveRank)} · ${status}`;
    el.dataset.step = String(snap.step);
    el.dataset.relUnobserved = String(m.relUnobserved);
  });
  const s = perf.stats;
  const perfEl = $('perf');
  perfEl.textContent =
    `main thread: longest task ${s.longestTask.toFixed(0)} ms since load, ${s.longestTaskSinceMark.toFixed(0)} ms since the first start ` +
    `(${s.longTasks} over 50 ms) · longest draw ${s.longestDraw.toFixed(1)} ms over ${s.draws} draws`;
  perfEl.dataset.longestTaskSinceStart = String(s.longestTaskSinceMark);
  perfEl.dataset.longestDraw = String(s.longestDraw);
}

worker.onmessage = (event: MessageEvent<FromWorker>) => {
  const msg = event.data;
  if (msg.gen !== gen) return;
  if (msg.type === 'problem') onProblem(msg);
  else if (msg.type === 'snapshot') onSnapshot(msg.runs, msg.running);
  else setNotice([`cannot start: ${msg.message}`]);
};
worker.onerror = (event) => setNotice([`worker failed: ${event.message}`]);

form.addEventListener('change', () => {
  const decoded = readForm(form);
  setNotice(decoded.problems);
  const before = state;
  state = decoded.state;
  writeForm(form, state);
  writeUrl();
  if (!sameTraining(before, state)) {
    const wasRunning = running;
    configure();
    if (wasRunning) send({ type: 'start' });
  } else if (before.speed !== state.speed) send({ type: 'speed', speed: state.speed });
});
form.addEventListener('submit', (e) => e.preventDefault());

startButton.addEventListener('click', () => {
  if (running) send({ type: 'pause' });
  else {
    perf.mark();
    send({ type: 'start' });
  }
});
$('reset').addEventListener('click', configure);
$('download').addEventListener('click', () => {
  const results = buildResults(state, location.href, latest, record.rows);
  const url = URL.createObjectURL(new Blob([JSON.stringify(results, null, 1)], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = 'mcomplete-results.json';
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
});
window.addEventListener('resize', () => {
  for (const [c, id] of [
    [errorChart, 'chart-error'],
    [ratioChart, 'chart-ratio'],
    [svCharts[0], 'chart-sv-a'],
    [svCharts[1], 'chart-sv-b'],
  ] as const) {
    if (c) c.setSize({ width: Math.max(240, $(id).clientWidth), height: c.height });
  }
});

fillChoices(form);
const initial = decodeState(location.search);
state = initial.state;
setNotice(initial.problems);
writeForm(form, state);
writeUrl();
errorChart = createErrorChart($('chart-error'));
ratioChart = createRatioChart($('chart-ratio'));
configure();
