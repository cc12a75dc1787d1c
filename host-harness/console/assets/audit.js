// Audit Log: every attempt, newest first, 25 a page ("Older" / "Newer" with `before`),
// a filter by number, and "Check with Twilio" (POST /api/sync).

import { api, h, field, busy, isBusy } from './api.js';

const PAGE = 25;

/** "Dec 2, 12:53 AM" (with the year when it is not this year); the full time on hover. */
function auditTime(iso) {
  const d = new Date(iso);
  if (!iso || Number.isNaN(d.getTime())) return h('span', { text: iso || '—' });
  const opts = { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' };
  if (d.getFullYear() !== new Date().getFullYear()) opts.year = 'numeric';
  return h('time', { datetime: iso, title: d.toString() }, new Intl.DateTimeFormat(undefined, opts).format(d));
}

const ACTIONS = {
  send: 'Text',
  test: 'Test SMS',
  notify: 'Notice',
  reply: 'Reply',
  connect: 'Connect',
  disconnect: 'Disconnect',
};

function statusClass(status) {
  const s = String(status || '').toLowerCase();
  if (['delivered', 'read', 'received'].includes(s)) return 'pill-ok';
  if (['queued', 'accepted', 'sending', 'sent', 'scheduled', 'held'].includes(s)) return 'pill-info';
  if (['failed', 'undelivered', 'refused', 'error', 'rejected', 'canceled'].includes(s)) return 'pill-bad';
  if (['unknown', 'outcome-unknown', 'not-sent'].includes(s)) return 'pill-warn';
  return 'pill-muted';
}

export function createAuditView() {
  const title = h('h1', { id: 'audit-title', tabindex: '-1', text: 'Audit Log' });
  const filter = field({ label: 'Filter by number', name: 'number', type: 'tel', placeholder: 'Any format', extraClass: 'field-inline' });
  const apply = h('button', { type: 'submit', class: 'btn', text: 'Apply' });
  const clear = h('button', { type: 'button', class: 'btn btn-quiet', text: 'Clear' });
  const filterForm = h('form', { class: 'toolbar-form', novalidate: true, role: 'search', 'aria-label': 'Filter the audit log' },
    filter.row, h('div', { class: 'inline-actions' }, apply, clear));
  const sync = h('button', { type: 'button', class: 'btn btn-primary', text: 'Check with Twilio' });
  const syncResult = h('p', { class: 'sync-result', role: 'status', dataset: { testid: 'sync-summary' } });
  const syncError = h('p', { class: 'form-error', role: 'alert', hidden: true });

  const tbody = h('tbody');
  const table = h('table', { class: 'table table-audit', dataset: { testid: 'audit-table' }, 'aria-labelledby': 'audit-title', 'aria-describedby': 'audit-page-info' },
    h('thead', {}, h('tr', {},
      ...['Time', 'Action', 'Recipient', 'Length', 'Segments', 'User', 'Message SID', 'Delivery status']
        .map((t) => h('th', { scope: 'col', class: ['Length', 'Segments'].includes(t) ? 'num' : null, text: t })))),
    tbody);
  const pageInfo = h('p', { class: 'muted', id: 'audit-page-info', role: 'status' });
  const newer = h('button', { type: 'button', class: 'btn', text: 'Newer' });
  const older = h('button', { type: 'button', class: 'btn', text: 'Older' });
  const loadError = h('p', { class: 'form-error', role: 'alert', hidden: true });

  const section = h('section', { class: 'view', id: 'view-audit', 'aria-labelledby': 'audit-title', hidden: true },
    h('div', { class: 'view-head' },
      h('div', {}, title, h('p', { class: 'muted', text: 'Every text, test and notice the console or the point of sale tried to send, with what Twilio said.' })),
      h('div', { class: 'view-head-actions' }, sync)),
    syncResult, syncError,
    h('article', { class: 'card' },
      h('header', { class: 'card-head card-head-toolbar' }, filterForm),
      h('div', { class: 'table-wrap' }, table),
      loadError,
      h('footer', { class: 'card-foot pager' }, pageInfo, h('div', { class: 'pager-buttons' }, newer, older))));

  // Paging: `cursors` is the stack of `before` values of the pages above this one.
  let number = '';
  let before = null;
  let cursors = [];
  let nextBefore = null;
  let lastCount = 0;

  function cell(text, cls) {
    return h('td', { class: cls || null }, text === null || text === undefined || text === '' ? h('span', { class: 'muted', text: '—' }) : text);
  }

  function row(e) {
    const delivery = e.delivery && typeof e.delivery === 'object' ? e.delivery : null;
    const shown = (delivery && delivery.status) || e.status || '';
    const reasonParts = [];
    const reason = (delivery && delivery.reason) || e.note || e.error_kind;
    if (reason) reasonParts.push(reason);
    const code = (delivery && delivery.error_code) || e.twilio_code;
    if (code) reasonParts.push(`Twilio ${code}`);
    const statusCell = h('td', { class: 'cell-status' },
      shown ? h('span', { class: `pill ${statusClass(shown)}`, text: shown }) : h('span', { class: 'muted', text: '—' }),
      reasonParts.length ? h('span', { class: 'status-reason', text: reasonParts.join(' · ') }) : null);
    return h('tr', { dataset: { id: e.id } },
      h('td', { class: 'cell-time' }, auditTime(e.at)),
      cell(ACTIONS[e.action] || e.action),
      cell(e.to ? h('span', { class: 'mono', text: e.to }) : null),
      cell(e.body_length === null || e.body_length === undefined ? null : String(e.body_length), 'num'),
      cell(e.segments === null || e.segments === undefined ? null : String(e.segments), 'num'),
      cell(e.user),
      cell(e.message_sid ? h('code', { class: 'sid', text: e.message_sid }) : null),
      statusCell);
  }

  async function load() {
    const params = new URLSearchParams();
    if (number) params.set('number', number);
    if (before !== null) params.set('before', String(before));
    params.set('limit', String(PAGE));
    try {
      const data = await api('GET', `/api/audit?${params}`);
      const entries = Array.isArray(data.entries) ? data.entries : [];
      nextBefore = data.next_before === null || data.next_before === undefined ? null : data.next_before;
      lastCount = entries.length;
      loadError.hidden = true;
      if (entries.length) tbody.replaceChildren(...entries.map(row));
      else {
        tbody.replaceChildren(h('tr', {}, h('td', { colspan: '8', class: 'empty',
          text: number ? `Nothing sent to ${number} yet.` : 'Nothing has been sent yet.' })));
      }
      renderPager();
    } catch (err) {
      loadError.textContent = err.message;
      loadError.hidden = false;
    }
  }

  function renderPager() {
    const page = cursors.length + 1;
    const what = number ? ` for ${number}` : '';
    pageInfo.textContent = lastCount ? `Page ${page}${what}: ${lastCount === 1 ? '1 entry' : `${lastCount} entries`}, newest first` : `Page ${page}${what}`;
    setEnabled(newer, cursors.length > 0);
    setEnabled(older, nextBefore !== null);
  }

  function setEnabled(button, on) {
    // aria-disabled keeps the button focusable, so keyboard focus never drops to the page.
    if (on) button.removeAttribute('aria-disabled');
    else button.setAttribute('aria-disabled', 'true');
  }

  older.addEventListener('click', () => {
    if (older.getAttribute('aria-disabled') === 'true' || nextBefore === null) return;
    cursors.push(before);
    before = nextBefore;
    load();
  });
  newer.addEventListener('click', () => {
    if (newer.getAttribute('aria-disabled') === 'true' || !cursors.length) return;
    before = cursors.pop();
    load();
  });

  filterForm.addEventListener('submit', (event) => {
    event.preventDefault();
    number = filter.input.value.trim();
    before = null;
    cursors = [];
    load();
  });
  clear.addEventListener('click', () => {
    filter.input.value = '';
    number = '';
    before = null;
    cursors = [];
    load();
    filter.input.focus();
  });

  sync.addEventListener('click', async () => {
    if (isBusy(sync)) return;
    syncError.hidden = true;
    syncResult.textContent = '';
    const done = busy(sync, 'Checking…');
    try {
      const r = await api('POST', '/api/sync', {});
      syncResult.textContent = r.summary || `Checked ${r.polled} messages.`;
      await load();
    } catch (err) {
      syncError.textContent = err.message;
      syncError.hidden = false;
    } finally {
      done();
    }
  });

  function show() {
    // Coming back to the log starts again at the newest page (the filter stays).
    before = null;
    cursors = [];
    return load();
  }

  return { name: 'audit', title: 'Audit Log', section, heading: title, show };
}
