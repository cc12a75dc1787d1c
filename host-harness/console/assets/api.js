// The fetch helper every screen uses, plus two tiny DOM helpers.
//
// - Non-GET requests carry X-CSRF-Token, read once from GET /api/session.
// - Answers are parsed as JSON (204 gives null).
// - Failures throw an ApiError: {status, kind, message, field, twilio_code}, where `message`
//   is the server's sentence for staff (or one of ours when the server could not be reached).
//
// Nothing here logs, stores or keeps request bodies: the Twilio Auth Token passes through
// `api()` once, inside the JSON body of POST /api/twilio/connect, and is never kept.

export class ApiError extends Error {
  constructor({ status, kind, message, field = null, twilio_code = null }) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.kind = kind;
    this.field = field;
    this.twilio_code = twilio_code;
  }
}

const FALLBACK = {
  0: 'The console server did not answer. Check that `host-harness console` is still running, then try again.',
  401: 'This page is no longer signed in. Open the URL printed by `host-harness console` again.',
  403: 'The console refused this request. Reload the page and try again.',
  404: 'That was not found. It may have been deleted; reload the page.',
  405: 'The console does not accept that request.',
  500: 'Something went wrong in the console server. Try again; if it keeps happening, check its terminal.',
  502: 'Twilio could not be reached or answered with an error. Try again in a moment.',
};

function fallbackMessage(status) {
  if (FALLBACK[status]) return FALLBACK[status];
  if (status >= 500) return FALLBACK[500];
  return `The console answered with an unexpected error (HTTP ${status}).`;
}

let sessionPromise = null;

/** GET /api/session, fetched once and shared. */
export function getSession() {
  if (!sessionPromise) {
    sessionPromise = request('GET', '/api/session').catch((err) => {
      sessionPromise = null; // let a later call try again
      throw err;
    });
  }
  return sessionPromise;
}

async function request(method, path, body, csrf) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (csrf) headers['X-CSRF-Token'] = csrf;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError({ status: 0, kind: 'network', message: FALLBACK[0] });
  }
  let data = null;
  const text = response.status === 204 ? '' : await response.text().catch(() => '');
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const e = data && typeof data === 'object' && data.error && typeof data.error === 'object' ? data.error : {};
    throw new ApiError({
      status: response.status,
      kind: typeof e.kind === 'string' ? e.kind : `http-${response.status}`,
      message: typeof e.message === 'string' && e.message ? e.message : fallbackMessage(response.status),
      field: typeof e.field === 'string' ? e.field : null,
      twilio_code: typeof e.twilio_code === 'number' ? e.twilio_code : null,
    });
  }
  if (text && data === null) {
    throw new ApiError({ status: response.status, kind: 'bad-response', message: 'The console answered with something that is not JSON. Reload the page.' });
  }
  return data;
}

/** api('POST', '/api/send', {...}) -> parsed JSON, or throws ApiError. */
export async function api(method, path, body) {
  const m = method.toUpperCase();
  if (m === 'GET' || m === 'HEAD') return request(m, path);
  const session = await getSession();
  return request(m, path, body === undefined ? {} : body, session.csrf_token);
}

// ---- DOM helpers -------------------------------------------------------------------------

/**
 * h('button', {class: 'btn', type: 'button', dataset: {x: 1}}, 'Text', child…)
 * Attributes: `class`, `text`, `dataset`, `value`/`checked` (properties), booleans (true sets,
 * false/null skips), anything else through setAttribute; listeners are added afterwards with
 * addEventListener. Children: strings, nodes, arrays; null/false are skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'value' || key === 'checked') el[key] = value;
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

let uid = 0;
/** A document-unique id with a readable prefix. */
export function uniqueId(prefix) {
  uid += 1;
  return `${prefix}-${uid}`;
}

/** "2026-12-01T17:00:00Z" -> a <time> in the browser's local time. */
export function timeEl(iso, { dateStyle = 'medium', timeStyle = 'short' } = {}) {
  if (!iso) return h('span', { class: 'muted', text: '—' });
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return h('span', { text: iso });
  const text = new Intl.DateTimeFormat(undefined, { dateStyle, timeStyle }).format(d);
  return h('time', { datetime: iso, title: d.toString() }, text);
}

/** A short relative-or-date label for lists ("14:05", "Yesterday", "3 Dec"). */
export function shortTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const now = new Date();
  const sameDay = d.toDateString() === now.toDateString();
  if (sameDay) return new Intl.DateTimeFormat(undefined, { timeStyle: 'short' }).format(d);
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (d.toDateString() === yesterday.toDateString()) return 'Yesterday';
  const sameYear = d.getFullYear() === now.getFullYear();
  return new Intl.DateTimeFormat(undefined, sameYear ? { day: 'numeric', month: 'short' } : { dateStyle: 'medium' }).format(d);
}

/** "1 segment" / "2 segments". */
export function plural(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * Field errors: show `message` beside the input, linked by aria-describedby, with
 * aria-invalid on the input. `slot` is the (always present) aria-live element for it.
 */
export function setFieldError(input, slot, message) {
  const ids = (input.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean).filter((id) => id !== slot.id);
  if (message) {
    slot.textContent = message;
    slot.hidden = false;
    input.setAttribute('aria-invalid', 'true');
    ids.push(slot.id);
  } else {
    slot.textContent = '';
    slot.hidden = true;
    input.removeAttribute('aria-invalid');
  }
  if (ids.length) input.setAttribute('aria-describedby', ids.join(' '));
  else input.removeAttribute('aria-describedby');
}

/** Announce a sentence to screen readers through the page's polite live region. */
export function announce(text) {
  const el = document.getElementById('announcer');
  if (!el) return;
  el.textContent = '';
  // A fresh text node after a tick so the same sentence twice is still announced.
  setTimeout(() => { el.textContent = text; }, 30);
}

/**
 * A labelled field: {row, input, error}. `error` is the role=alert slot for setFieldError.
 * opts: {label, name, type='text', hint, textarea, autocomplete, inputmode, value, rows, extraClass}
 */
export function field(opts) {
  const id = uniqueId(opts.name || 'field');
  const hintId = opts.hint ? `${id}-hint` : null;
  const attrs = {
    id,
    name: opts.name,
    autocomplete: opts.autocomplete || 'off',
    spellcheck: opts.spellcheck === undefined ? 'false' : String(opts.spellcheck),
    inputmode: opts.inputmode,
    'aria-describedby': hintId,
    required: opts.required,
    placeholder: opts.placeholder,
  };
  const input = opts.textarea
    ? h('textarea', { ...attrs, rows: opts.rows || 4 })
    : h('input', { ...attrs, type: opts.type || 'text' });
  if (opts.value !== undefined) input.value = opts.value;
  const error = h('p', { class: 'field-error', id: `${id}-error`, role: 'alert', hidden: true });
  const row = h('div', { class: `field${opts.extraClass ? ` ${opts.extraClass}` : ''}` },
    h('label', { for: id, text: opts.label }),
    opts.hint ? h('p', { class: 'hint', id: hintId, text: opts.hint }) : null,
    input,
    error);
  return { row, input, error };
}

/**
 * Busy state for a button while its request runs: aria-disabled (so keyboard focus stays on
 * it, unlike `disabled`) and new text; returns a function that undoes it. Handlers check
 * isBusy(button) before starting another request.
 */
export function busy(button, text) {
  const old = button.textContent;
  button.setAttribute('aria-disabled', 'true');
  button.classList.add('is-busy');
  button.textContent = text;
  return () => {
    button.removeAttribute('aria-disabled');
    button.classList.remove('is-busy');
    button.textContent = old;
  };
}

export function isBusy(button) {
  return button.getAttribute('aria-disabled') === 'true';
}
