// The risk console: reads /v1/risk/* with the signed-in key and draws it. Aggregates only: the API folds the book,
// the page never lists vouchers. The key lives in this tab's session storage and goes only to this host.
'use strict';

const KEY = 'supplychain.console.key';
const POLL_MS = 2000;
const $ = (id) => document.getElementById(id);
const yuan = (v) => Number(v).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const charts = {};
const FUNDERS = '#4f6fd8';
const SUPPLIERS = '#9bc53d';
const names = new Map();
let alertCursor = 0;
let signalCursor = 0;
const signals = new Map();
let pollTimer = null;

class ApiError extends Error {
  constructor(status, problem) {
    super(problem && problem.detail ? problem.detail : `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

async function api(path, options = {}) {
  const key = sessionStorage.getItem(KEY);
  const response = await fetch(path, {
    ...options,
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json', ...(options.headers || {}) },
  });
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

/** A participant's name and kind (cached); its id and no kind when the caller may not read it. */
function participant(id) {
  if (!names.has(id)) {
    names.set(id, api(`/v1/participants/${encodeURIComponent(id)}`).then((p) => ({ name: p.name, kind: p.kind }), () => ({ name: id, kind: null })));
  }
  return names.get(id);
}

async function nameOf(id) {
  return id ? (await participant(id)).name : '';
}

function chart(id) {
  if (!charts[id]) charts[id] = echarts.init($(id), null, { renderer: 'canvas' });
  return charts[id];
}

/** Draws a chart and marks its element, so that a reader (or a test) can tell a drawn chart from an empty one. */
function draw(id, option, hasData) {
  const c = chart(id);
  c.setOption(option, true);
  $(id).dataset.chartReady = hasData ? 'true' : 'empty';
  if (!hasData) {
    c.setOption({ title: { text: 'Nothing to show yet', left: 'center', top: 'middle', textStyle: { color: '#888', fontSize: 14 } } }, false);
  }
}

function bars(categories, series, horizontal = true) {
  const category = { type: 'category', data: categories, axisLabel: { width: 140, overflow: 'truncate' } };
  const value = { type: 'value', axisLabel: { formatter: (v) => v.toLocaleString('en-US') } };
  return {
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v) => (v == null ? '' : yuan(v)) },
    legend: { top: 0 },
    grid: { left: horizontal ? 150 : 60, right: 20, top: 30, bottom: 30 },
    xAxis: horizontal ? value : category,
    yAxis: horizontal ? { ...category, inverse: true } : value,
    series,
  };
}

async function loadObligors() {
  const { items } = await api('/v1/risk/exposures?by=obligor&top=10');
  const labels = await Promise.all(items.map((i) => nameOf(i.id)));
  draw('chart-obligors', bars(labels, [
    { name: 'Held by funders', type: 'bar', stack: 'held', data: items.map((i) => i.funderHeld), itemStyle: { color: FUNDERS } },
    { name: 'Held by suppliers', type: 'bar', stack: 'held', data: items.map((i) => i.supplierHeld), itemStyle: { color: SUPPLIERS } },
  ]), items.length > 0);
  return items.map((i, n) => ({ id: i.id, name: labels[n] }));
}

async function loadFunders() {
  const { items } = await api('/v1/risk/exposures?by=funder&top=10');
  const labels = await Promise.all(items.map((i) => nameOf(i.id)));
  draw('chart-funders', bars(labels, [{ name: 'Exposure', type: 'bar', data: items.map((i) => i.amount), itemStyle: { color: '#c0504d' } }]),
    items.length > 0);
}

async function loadChain(coreId) {
  if (!coreId) {
    draw('chart-tiers', bars([], [], false), false);
    return;
  }
  const chain = await api(`/v1/risk/chains/${encodeURIComponent(coreId)}`);
  const tiers = chain.tiers.map((t) => `Tier ${t.tier}`);
  const held = (type) => chain.tiers.map((t) => t.holders.filter((h) => h.holderType === type).reduce((s, h) => s + h.amount, 0));
  draw('chart-tiers', bars(tiers, [
    { name: 'Held by suppliers', type: 'bar', stack: 'tier', data: held('supplier'), itemStyle: { color: SUPPLIERS } },
    { name: 'Held by funders', type: 'bar', stack: 'tier', data: held('funder'), itemStyle: { color: FUNDERS } },
  ], false), chain.tiers.length > 0);
}

/** The core enterprises among the top obligors: the chains one can look down. */
async function loadCores(obligors) {
  const select = $('chain-core');
  const previous = select.value;
  const kinds = await Promise.all(obligors.map(async (o) => (await participant(o.id)).kind));
  const cores = obligors.filter((o, n) => kinds[n] === 'core');
  select.replaceChildren(...cores.map((c) => new Option(c.name, c.id)));
  if (cores.some((c) => c.id === previous)) select.value = previous;
  await loadChain(select.value);
}

async function loadGroups() {
  const { items } = await api('/v1/risk/exposures?by=group&top=20');
  const labels = await Promise.all(items.map(async (g, n) => `Group ${n + 1} (${await nameOf(g.funderId)})${g.status === 'frozen' ? ' · frozen' : ''}`));
  draw('chart-groups', bars(labels, [
    { name: 'Outstanding', type: 'bar', data: items.map((g) => g.outstanding) },
    { name: 'Group limit', type: 'bar', data: items.map((g) => g.groupLimit), itemStyle: { color: '#ccc' } },
    { name: 'Caps used', type: 'bar', data: items.map((g) => g.capUsed), itemStyle: { color: '#c0504d' } },
    { name: 'Caps in all', type: 'bar', data: items.map((g) => g.capTotal), itemStyle: { color: '#e6b8b7' } },
  ]), items.length > 0);
}

async function loadPools() {
  const { items } = await api('/v1/risk/exposures?by=pool&top=20');
  draw('chart-pools', bars(items.map((p) => `${p.name}${p.status === 'exhausted' ? ' · exhausted' : ''}`), [
    { name: 'Covered', type: 'bar', data: items.map((p) => p.covered) },
    { name: 'Capacity', type: 'bar', data: items.map((p) => p.capacity), itemStyle: { color: '#ccc' } },
    { name: 'Balance', type: 'bar', data: items.map((p) => p.balance), itemStyle: { color: '#4f81bd' } },
    { name: 'Floor', type: 'bar', data: items.map((p) => p.floor), itemStyle: { color: '#f79646' } },
  ]), items.length > 0);
}

async function renderAlert(a) {
  const li = document.createElement('li');
  li.className = `alert alert-${a.kind}`;
  const who = [await nameOf(a.obligorId), await nameOf(a.funderId)].filter((x) => x).join(' · ');
  const time = new Date(a.raisedAt).toISOString().replace('T', ' ').slice(0, 19);
  li.innerHTML = '<b></b> <span class="who"></span><br><span class="detail"></span> <time></time>';
  li.querySelector('b').textContent = a.kind.replaceAll('_', ' ');
  li.querySelector('.who').textContent = who;
  li.querySelector('.detail').textContent = a.detail;
  li.querySelector('time').textContent = time;
  li.dataset.alertId = a.id;
  return li;
}

/** New alerts since the last one seen, newest on top. */
async function pollAlerts() {
  let page;
  do {
    page = await api(`/v1/risk/alerts?after=${alertCursor}&limit=200`);
    for (const a of page.items) {
      $('alerts').prepend(await renderAlert(a));
      alertCursor = Math.max(alertCursor, a.id);
    }
  } while (page.next);
}

/** Signals changed since the cursor (raised or cleared), kept by id; drawn open first, newest first. */
async function pollSignals() {
  let page;
  let changed = false;
  do {
    page = await api(`/v1/risk/signals?after=${signalCursor}&limit=200`);
    for (const s of page.items) signals.set(s.id, s);
    signalCursor = page.next;
    changed ||= page.items.length > 0;
  } while (page.items.length === 200);
  if (!changed) return;
  const ordered = [...signals.values()].sort((a, b) =>
    (a.clearedAt === null) !== (b.clearedAt === null) ? (a.clearedAt === null ? -1 : 1) : b.raisedAt.localeCompare(a.raisedAt));
  $('signals').replaceChildren(...await Promise.all(ordered.map(renderSignal)));
}

async function renderSignal(s) {
  const li = document.createElement('li');
  li.className = `signal signal-${s.kind}${s.clearedAt === null ? ' open' : ' cleared'}`;
  const when = (t) => new Date(t).toISOString().replace('T', ' ').slice(0, 19);
  li.innerHTML = '<b></b> <span class="who"></span><br><span class="detail"></span> <time></time>';
  li.querySelector('b').textContent = s.kind.replaceAll('_', ' ');
  li.querySelector('.who').textContent = await nameOf(s.obligorId);
  // Ids in the evidence (a core's) are shown by name, like everywhere on the page.
  const evidence = await Promise.all(Object.entries(s.evidence).map(async ([k, v]) => `${k.replace(/Id$/, '')}: ${k === 'coreId' ? await nameOf(v) : v}`));
  li.querySelector('.detail').textContent = evidence.join(', ');
  li.querySelector('time').textContent = s.clearedAt === null ? `raised ${when(s.raisedAt)}` : `cleared ${when(s.clearedAt)}`;
  li.dataset.signalId = s.id;
  return li;
}

function stressChoices(obligors) {
  const box = $('stress-choices');
  const checked = new Set([...box.querySelectorAll('input:checked')].map((i) => i.value));
  box.replaceChildren(...obligors.map((o) => {
    const label = document.createElement('label');
    const input = document.createElement('input');
    input.type = 'checkbox';
    input.value = o.id;
    input.checked = checked.has(o.id);
    label.append(input, ` ${o.name}`);
    return label;
  }));
}

async function runStress(event) {
  event.preventDefault();
  $('stress-error').hidden = true;
  const ids = [...$('stress-choices').querySelectorAll('input:checked')].map((i) => i.value);
  if (ids.length === 0) {
    $('stress-error').textContent = 'Choose at least one participant.';
    $('stress-error').hidden = false;
    return;
  }
  try {
    const { losses } = await api('/v1/risk/stress', { method: 'POST', body: JSON.stringify({ defaultingIds: ids }) });
    const sum = (f) => losses.reduce((s, l) => s + l[f], 0);
    const exposure = sum('exposure');
    const guarantors = sum('guarantorRecovery');
    const pools = sum('poolRecovery');
    const net = sum('netLoss');
    // A waterfall: an invisible base carries each step to where the one before it ended.
    const steps = ['Exposure', 'Guarantor recovery', 'Pool recovery', 'Net loss'];
    const base = [0, exposure - guarantors, exposure - guarantors - pools, 0];
    const value = [exposure, guarantors, pools, net];
    draw('chart-stress', {
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' },
        formatter: (p) => { const s = p.find((x) => x.seriesName === 'Amount'); return `${s.name}: ${yuan(s.value)}`; } },
      grid: { left: 90, right: 20, top: 20, bottom: 30 },
      xAxis: { type: 'category', data: steps },
      yAxis: { type: 'value' },
      series: [
        { name: 'Base', type: 'bar', stack: 'w', data: base, itemStyle: { color: 'transparent' }, emphasis: { disabled: true } },
        { name: 'Amount', type: 'bar', stack: 'w', data: value.map((v, i) => ({ value: v, itemStyle: { color: ['#4f81bd', '#9bbb59', '#8064a2', '#c0504d'][i] } })),
          label: { show: true, position: 'top', formatter: (p) => yuan(p.value) } },
      ],
    }, losses.length > 0);
    const rows = await Promise.all(losses.map(async (l) => {
      const tr = document.createElement('tr');
      for (const text of [await nameOf(l.funderId), yuan(l.exposure), yuan(l.guarantorRecovery), yuan(l.poolRecovery), yuan(l.netLoss)]) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.append(td);
      }
      return tr;
    }));
    $('stress-table').querySelector('tbody').replaceChildren(...rows);
    $('stress-table').hidden = false;
  } catch (e) {
    $('stress-error').textContent = e.message;
    $('stress-error').hidden = false;
  }
}

async function refresh() {
  const obligors = await loadObligors();
  await Promise.all([loadFunders(), loadCores(obligors), loadGroups(), loadPools(), pollAlerts(), pollSignals()]);
  stressChoices(obligors);
}

async function signIn(key) {
  sessionStorage.setItem(KEY, key);
  try {
    // Risk staff and operators may read the book; anyone else is told so, and sees nothing.
    await api('/v1/risk/exposures?by=obligor&top=1');
  } catch (e) {
    signOut();
    $('sign-in-error').textContent = e instanceof ApiError && e.status === 401
      ? 'That key is not known.'
      : e instanceof ApiError && e.status === 403 ? 'That key is not a risk-staff or operator key.' : `Sign-in failed: ${e.message}`;
    $('sign-in-error').hidden = false;
    return;
  }
  $('sign-in').hidden = true;
  $('sign-in-error').hidden = true;
  $('console').hidden = false;
  $('sign-out').hidden = false;
  $('who').textContent = 'Signed in';
  await refreshSafely();
  pollTimer = setInterval(refreshSafely, POLL_MS);
}

let refreshing = false;

async function refreshSafely() {
  if (refreshing) return; // one refresh at a time: alerts are appended from a cursor
  refreshing = true;
  try {
    await refresh();
    $('load-error').hidden = true;
  } catch (e) {
    $('load-error').textContent = `Could not load: ${e.message}`;
    $('load-error').hidden = false;
  } finally {
    refreshing = false;
  }
}

function signOut() {
  sessionStorage.removeItem(KEY);
  if (pollTimer) clearInterval(pollTimer);
  pollTimer = null;
  $('console').hidden = true;
  $('sign-out').hidden = true;
  $('sign-in').hidden = false;
  $('who').textContent = '';
  $('alerts').replaceChildren();
  alertCursor = 0;
  $('signals').replaceChildren();
  signalCursor = 0;
  signals.clear();
  names.clear();
}

document.addEventListener('DOMContentLoaded', () => {
  $('sign-in-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const key = $('key').value.trim();
    $('key').value = '';
    signIn(key);
  });
  $('sign-out').addEventListener('click', signOut);
  $('stress-form').addEventListener('submit', runStress);
  $('chain-core').addEventListener('change', () => loadChain($('chain-core').value).catch(() => {}));
  window.addEventListener('resize', () => Object.values(charts).forEach((c) => c.resize()));
  const kept = sessionStorage.getItem(KEY);
  if (kept) signIn(kept);
});
