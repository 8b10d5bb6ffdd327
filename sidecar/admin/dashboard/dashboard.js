// The dashboard's script: follows /events (server-sent status snapshots) and
// redraws four small sections. Data is only ever inserted as text nodes.
'use strict';
(() => {
  const token = new URLSearchParams(location.search).get('token');
  const withToken = (path) => (token ? `${path}?token=${encodeURIComponent(token)}` : path);
  let status;
  let skew = 0; // browser clock minus sidecar clock, so ages keep ticking between snapshots

  /** el('td', {class: 'num'}, 'text', childNode…) */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) node.setAttribute(k, String(v));
    for (const c of children) if (c !== undefined && c !== null) node.append(c instanceof Node ? c : String(c));
    return node;
  }
  const replace = (parent, nodes) => parent.replaceChildren(...nodes);
  const now = () => Date.now() - skew;
  const secs = (ms) => (ms === undefined || ms === null ? '—' : ms < 1000 ? `${Math.round(ms)} ms` : ms < 120000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 60000)} min`);
  const ago = (t) => (t === undefined || t === null ? 'never' : `${secs(Math.max(0, now() - t))} ago`);
  const clock = (t) => new Date(t + skew).toLocaleTimeString([], { hour12: false });
  const badge = (state) => el('span', { class: `state ${state}` }, state);
  const shortId = (id) => (id.length > 12 ? id.slice(0, 8) + '…' : id);
  const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g;

  function renderSummary(s) {
    const reloads = s.reloads.ok + s.reloads.rejected ? ` · reloads ${s.reloads.ok} ok / ${s.reloads.rejected} rejected` : '';
    document.getElementById('summary').textContent = `strategy ${s.strategy} · ${s.queued} queued · ${s.running} running${reloads} · updated ${clock(s.now)}`;
  }

  function modelRow(b, name, m) {
    const loading = m.state === 'loading' && m.loadStartedAt ? ` for ${secs(now() - m.loadStartedAt)}` : '';
    return el(
      'tr',
      { 'data-backend': b.name, 'data-model': name, 'data-state': m.state },
      el('td', {}, name, m.backendId !== name ? el('span', { class: 'alias mono' }, m.backendId) : null),
      el('td', { class: 'num' }, badge(m.state), loading),
      el('td', { class: 'num', title: 'learned load time' }, secs(m.loadMs)),
      el('td', { class: 'num' }, ago(m.lastUsedAt)),
      el('td', { class: 'num', title: 'in flight from this sidecar' }, m.inFlight || ''),
    );
  }

  // Widths through the CSSOM: the page's Content-Security-Policy forbids style attributes.
  function bar(cls, width) {
    const d = el('div', { class: cls });
    d.style.width = width;
    return d;
  }

  function backendCard(b) {
    const used = b.inFlight + b.externalInFlight;
    const pct = (n) => `${Math.min(100, (100 * n) / Math.max(1, b.slots, used))}%`;
    const probe = b.probe;
    const problems = [];
    if (!b.healthy) problems.push(el('div', { class: 'problem' }, `down: ${b.failure || 'unhealthy'}`));
    if (probe && probe.lastError && (!probe.ok || now() - probe.lastErrorAt < 300000))
      problems.push(el('div', { class: 'problem' }, `probe error ${ago(probe.lastErrorAt)}: ${probe.lastError}${probe.failures ? ` (${probe.failures} in a row)` : ''}`));
    const models = Object.entries(b.modelInfo).sort(([a], [c]) => a.localeCompare(c));
    return el(
      'div',
      { class: 'backend', 'data-backend': b.name, 'data-healthy': b.healthy },
      el('h3', {}, b.name, el('span', { class: 'kind' }, b.kind), el('span', { class: 'health' }, badge(b.healthy ? 'up' : 'down'))),
      el('div', { class: 'slotlabel mono' }, b.url, ` · probed ${ago(b.lastProbeAt)}`),
      ...problems,
      el('div', { class: 'slots', title: 'slots: own / other clients / free' }, bar('own', pct(b.inFlight)), bar('other', pct(b.externalInFlight))),
      el('div', { class: 'slotlabel' }, `slots ${used}/${b.slots} in use: ${b.inFlight} ours, ${b.externalInFlight} other clients'; ${b.meanLoad} on average lately` + (b.maxModels ? ` · at most ${b.maxModels} models` : '')),
      el(
        'table',
        {},
        el('thead', {}, el('tr', {}, el('th', {}, 'model'), el('th', {}, 'state'), el('th', {}, 'load time'), el('th', {}, 'last use'), el('th', {}, 'ours'))),
        el('tbody', {}, ...models.map(([name, m]) => modelRow(b, name, m))),
      ),
    );
  }

  function renderFleet(s) {
    replace(document.getElementById('fleet'), [el('div', { class: 'backends' }, ...s.backends.map(backendCard))]);
  }

  const QUEUE_ROWS = 100; // a long queue shows its head; the summary counts all of it

  function renderQueue(s) {
    const rows = s.queue.slice(0, QUEUE_ROWS).map((q) =>
      el(
        'tr',
        { 'data-request': q.id },
        el('td', { class: 'num' }, q.position + 1),
        el('td', { class: 'mono', title: q.id }, shortId(q.id)),
        el('td', {}, q.model),
        el('td', { class: 'num' }, q.priority),
        el('td', { class: 'num' }, secs(q.ageMs + (now() - s.now)), q.starving ? el('span', { class: 'starving' }, ' starving') : null),
        el('td', { class: 'why' }, q.waitingReason || 'not yet considered', q.holding ? ` (holding ${q.holding})` : ''),
      ),
    );
    if (s.queued > rows.length) rows.push(el('tr', {}, el('td', { colspan: 6, class: 'empty' }, `… and ${s.queued - rows.length} more`)));
    replace(document.querySelector('#queue tbody'), rows);
    document.getElementById('queue-empty').hidden = rows.length > 0;
  }

  const compact = (rec) =>
    rec
      ? Object.entries(rec)
          .map(([k, v]) => `${k} ${typeof v === 'number' ? Math.round(v * 100) / 100 : v}`)
          .join(', ')
      : '';

  function renderDecisions(s) {
    const rows = [...s.decisions].reverse().map((d) =>
      el(
        'tr',
        { 'data-request': d.requestId },
        el('td', { class: 'when' }, clock(d.at)),
        el('td', { class: 'mono', title: d.requestId }, shortId(d.requestId)),
        el('td', {}, `${d.model} → ${d.backend}`, d.evicts ? ` (evicts ${d.evicts})` : ''),
        el('td', {}, d.reason),
        el('td', { class: 'num' }, secs(d.queuedMs)),
        el('td', { class: 'num' }, secs(d.expectedStartMs)),
        el('td', { class: 'mono' }, compact(d.scores)),
        el('td', { class: 'mono' }, compact(d.expectedStartsMs)),
      ),
    );
    replace(document.querySelector('#decisions tbody'), rows);
  }

  const LANE_MAX_MS = 10 * 60_000;
  const LANE_MIN_MS = 60_000;

  // One lane per backend × model that loaded or unloaded recently: its warm and loading stretches, over the
  // span of the kept events (one to ten minutes).
  function renderLanes(s) {
    const oldest = s.events.length ? s.events[0].at : now();
    const span = Math.min(LANE_MAX_MS, Math.max(LANE_MIN_MS, now() - oldest));
    const t0 = now() - span;
    const byKey = new Map();
    for (const e of s.events) {
      if (!e.model || !e.to) continue; // health events have no lane
      const key = `${e.backend}\u0000${e.model}`;
      if (!byKey.has(key)) byKey.set(key, []);
      byKey.get(key).push(e);
    }
    const lanes = [];
    for (const [key, evs] of byKey) {
      const [backend, model] = key.split('\u0000');
      const current = s.backends.find((b) => b.name === backend)?.modelInfo[model]?.state;
      const track = el('div', { class: 'track' });
      let state = evs[0].from || 'cold';
      let from = t0;
      const segment = (until) => {
        const a = Math.max(from, t0);
        if ((state === 'warm' || state === 'loading') && until > a) {
          const seg = el('div', { class: `seg ${state}`, title: `${state} ${clock(a)}–${clock(until)}` });
          seg.style.left = `${((a - t0) / span) * 100}%`;
          seg.style.width = `${((until - a) / span) * 100}%`;
          track.append(seg);
        }
      };
      for (const e of evs) {
        segment(e.at);
        state = e.to;
        from = e.at;
      }
      if (current) state = current;
      segment(now());
      lanes.push(el('div', { class: 'lane', 'data-backend': backend, 'data-model': model }, el('span', { class: 'label', title: key.replace('\u0000', ': ') }, `${backend}: ${model}`), track));
    }
    const axis = lanes.length ? [el('div', { class: 'lanes-axis' }, el('span', {}, `${secs(span)} ago`), el('span', {}, 'now'))] : [];
    replace(document.getElementById('lanes'), [...lanes, ...axis]);
  }

  function renderTimeline(s) {
    renderLanes(s);
    const items = [...s.events].reverse().map((e) =>
      el(
        'li',
        { 'data-kind': e.kind, 'data-backend': e.backend, 'data-model': e.model },
        el('span', { class: 'when' }, clock(e.at)),
        badge(e.kind),
        ` ${e.backend}`,
        e.model ? `: ${e.model}` : '',
        e.kind === 'model' ? ` ${e.from} → ${e.to}` : '',
        e.loadMs !== undefined ? ` — load took ${secs(e.loadMs)}` : '',
        e.reason ? ` — ${e.reason.replace(UUID, (id) => shortId(id))}` : '',
      ),
    );
    replace(document.getElementById('timeline'), items.length ? items : [el('li', { class: 'empty' }, 'No loads or unloads seen yet.')]);
  }

  function render() {
    if (!status) return;
    renderSummary(status);
    renderFleet(status);
    renderQueue(status);
    renderDecisions(status);
    renderTimeline(status);
  }

  const conn = document.getElementById('conn');
  const setConn = (state, text) => {
    conn.dataset.state = state;
    conn.textContent = text;
  };
  const source = new EventSource(withToken('events'));
  source.onmessage = (msg) => {
    status = JSON.parse(msg.data);
    skew = Date.now() - status.now;
    setConn('live', 'live');
    render();
  };
  source.onerror = () => setConn('stale', 'reconnecting…');
  setInterval(render, 1000); // ages and load timers tick between snapshots
})();
