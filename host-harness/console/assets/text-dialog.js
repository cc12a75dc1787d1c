// The Text dialog: To, Message, the live segment counter, "Use plain quotes and dashes",
// "Send during quiet hours" (after a quiet-hours refusal), Send and the receipt.
//
// The counter asks the server (POST /api/segments) on every input event; each request gets
// a sequence number and an answer older than the one on screen is dropped, so fast typing
// never shows an older count.

import { api, h, field, setFieldError, busy, isBusy, plural } from './api.js';
import { receiptView } from './settings.js';

const CHAR_NAMES = {
  ' ': 'space',
  '\t': 'tab',
  '\n': 'new line',
  '\r': 'carriage return',
  '\u00a0': 'no-break space',
  '\u2002': 'en space',
  '\u2003': 'em space',
  '\u2009': 'thin space',
  '\u200a': 'hair space',
  '\u200b': 'zero-width space',
  '\u200c': 'zero-width non-joiner',
  '\u200d': 'zero-width joiner',
  '\u2028': 'line separator',
  '\u202f': 'narrow no-break space',
  '\u2060': 'word joiner',
  '\ufeff': 'zero-width no-break space',
};

/** How to show one character in a list: itself, or a name for the invisible ones. */
export function showChar(c) {
  if (c === '') return '(removed)';
  if (CHAR_NAMES[c]) return CHAR_NAMES[c];
  if (/^[\p{C}\p{Z}]$/u.test(c)) return `U+${c.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  return c;
}

function encodingLabel(encoding) {
  const e = String(encoding || '').toLowerCase();
  if (e === 'gsm-7' || e === 'gsm7' || e === 'gsm') return 'GSM-7';
  if (e === 'ucs-2' || e === 'ucs2') return 'UCS-2';
  return String(encoding || '').toUpperCase();
}

export function createTextDialog(ctx) {
  const titleEl = h('h2', { id: 'text-dialog-title', text: 'Text' });
  const to = field({ label: 'To', name: 'to', type: 'tel' });
  const message = field({ label: 'Message', name: 'body', textarea: true, rows: 6, spellcheck: true });
  message.input.classList.add('message-box');

  // The counter.
  const stat = (testid, extra = '') => h('span', { class: `stat${extra}`, dataset: { testid } });
  const characters = stat('characters');
  const segments = stat('segments', ' stat-strong');
  const encoding = stat('encoding', ' stat-encoding');
  const remaining = stat('remaining');
  const cost = stat('cost');
  const nonGsm = h('p', { class: 'counter-note', dataset: { testid: 'non-gsm' }, hidden: true });
  const ucsNote = h('p', { class: 'counter-hint', hidden: true,
    text: 'A UCS-2 segment holds 70 characters (67 when split) instead of 160 (153).' });
  const counterError = h('p', { class: 'form-error', role: 'alert', dataset: { testid: 'counter-error' }, hidden: true });
  const counter = h('div', { class: 'counter', id: 'text-counter', dataset: { testid: 'counter' } },
    h('div', { class: 'counter-stats' }, characters, segments, encoding, remaining, cost),
    nonGsm, ucsNote, counterError);
  const counterLive = h('div', { class: 'visually-hidden', 'aria-live': 'polite' });
  message.input.setAttribute('aria-describedby', [message.input.getAttribute('aria-describedby'), 'text-counter'].filter(Boolean).join(' '));

  // Use plain quotes and dashes.
  const plain = h('input', { type: 'checkbox', id: 'text-plain-quotes', name: 'smart_encoding', 'aria-describedby': 'text-plain-hint' });
  const subsTitle = h('p', { class: 'subs-title' });
  const subsList = h('ul', { class: 'subs-list' });
  const subs = h('div', { class: 'subs', dataset: { testid: 'substitutions' }, hidden: true }, subsTitle, subsList);
  const plainRow = h('div', { class: 'check-row' },
    plain,
    h('div', {},
      h('label', { for: 'text-plain-quotes', text: 'Use plain quotes and dashes' }),
      h('p', { class: 'hint', id: 'text-plain-hint', text: 'Curly quotes, long dashes and similar characters make a text UCS-2, which fits fewer characters per segment.' }),
      subs));

  // Send during quiet hours (shown only after a quiet-hours refusal).
  const quiet = h('input', { type: 'checkbox', id: 'text-quiet-hours', name: 'override_quiet_hours' });
  const quietRow = h('div', { class: 'check-row check-row-warn', hidden: true },
    quiet,
    h('div', {},
      h('label', { for: 'text-quiet-hours', text: 'Send during quiet hours' }),
      h('p', { class: 'hint', text: 'Only when the customer asked for it, for example a reply they are waiting for.' })));

  const result = h('div', { class: 'dialog-result', role: 'status', dataset: { testid: 'send-result' } });
  const sendError = h('p', { class: 'form-error', role: 'alert', dataset: { testid: 'send-error' }, hidden: true });
  const sendBtn = h('button', { type: 'button', class: 'btn btn-primary', text: 'Send' });
  const closeBtn = h('button', { type: 'button', class: 'btn', text: 'Close' });

  const dialog = h('dialog', { class: 'dialog text-dialog', 'aria-labelledby': 'text-dialog-title', dataset: { testid: 'text-dialog' } },
    h('div', { class: 'dialog-head' }, titleEl),
    h('div', { class: 'dialog-body stack' },
      to.row,
      message.row,
      counter,
      counterLive,
      plainRow,
      quietRow,
      sendError,
      result),
    h('div', { class: 'dialog-foot' }, sendBtn, closeBtn));
  document.body.append(dialog);

  let seq = 0; // last counter request made (never reset, so answers from an earlier open are old too)
  let applied = 0; // the request whose answer is on screen
  let opener = null;
  let customer = null;
  let lastSpoken = '';

  function renderCount(r) {
    counterError.hidden = true;
    characters.textContent = plural(Number(r.characters), 'character');
    segments.textContent = plural(Number(r.segments), 'segment');
    const enc = encodingLabel(r.encoding);
    encoding.textContent = enc;
    encoding.classList.toggle('is-ucs2', enc === 'UCS-2');
    remaining.textContent = `${r.remaining_in_segment} left in this segment`;
    cost.textContent = `Cost ${r.cost}`;
    const chars = Array.isArray(r.non_gsm) ? r.non_gsm : [];
    if (enc === 'UCS-2' && chars.length) {
      nonGsm.replaceChildren('UCS-2 because of: ', ...chars.flatMap((c, i) => [i ? ' ' : '', h('span', { class: 'char', text: showChar(c) })]));
      nonGsm.hidden = false;
    } else {
      nonGsm.hidden = true;
      nonGsm.replaceChildren();
    }
    ucsNote.hidden = enc !== 'UCS-2';
    renderSubs(Array.isArray(r.substitutions) ? r.substitutions : []);
    const spoken = `${segments.textContent}, ${enc}`;
    if (spoken !== lastSpoken) {
      lastSpoken = spoken;
      counterLive.textContent = spoken;
    }
  }

  function renderSubs(list) {
    if (!list.length) {
      subs.hidden = !plain.checked;
      subsTitle.textContent = plain.checked ? 'Nothing to change in this message.' : '';
      subsList.replaceChildren();
      return;
    }
    subsTitle.textContent = plain.checked ? 'Changed before sending:' : 'Would change:';
    subsList.replaceChildren(...list.map((s) => h('li', {},
      h('span', { class: 'char', text: showChar(s.original) }),
      ' \u2192 ',
      h('span', { class: 'char', text: showChar(s.replacement) }),
      h('span', { class: 'muted', text: ` \u00d7${s.count}` }))));
    subs.hidden = false;
  }

  function renderEmpty() {
    counterError.hidden = true;
    characters.textContent = '0 characters';
    segments.textContent = '0 segments';
    encoding.textContent = 'GSM-7';
    encoding.classList.remove('is-ucs2');
    remaining.textContent = '160 left in this segment';
    cost.textContent = 'Cost $0.00';
    nonGsm.hidden = true;
    ucsNote.hidden = true;
    renderSubs([]);
  }

  async function recount() {
    const body = message.input.value;
    seq += 1;
    const mine = seq;
    try {
      const r = await api('POST', '/api/segments', { body, smart_encoding: plain.checked });
      if (mine <= applied) return; // an older answer than the one shown
      applied = mine;
      renderCount(r);
    } catch (err) {
      if (mine <= applied) return;
      applied = mine;
      if (body === '') renderEmpty();
      else {
        counterError.textContent = err.message;
        counterError.hidden = false;
      }
    }
  }

  message.input.addEventListener('input', recount);
  plain.addEventListener('change', recount);

  function clearSendErrors() {
    setFieldError(to.input, to.error, null);
    setFieldError(message.input, message.error, null);
    sendError.hidden = true;
    sendError.textContent = '';
  }
  to.input.addEventListener('input', () => setFieldError(to.input, to.error, null));

  sendBtn.addEventListener('click', async () => {
    if (isBusy(sendBtn)) return;
    clearSendErrors();
    result.replaceChildren();
    const payload = {
      to: to.input.value.trim(),
      body: message.input.value,
      smart_encoding: plain.checked,
      override_quiet_hours: !quietRow.hidden && quiet.checked,
    };
    const done = busy(sendBtn, 'Sending…');
    try {
      const receipt = await api('POST', '/api/send', payload);
      result.replaceChildren(receiptView(receipt, 'Sent'));
    } catch (err) {
      if (err.kind === 'quiet-hours') quietRow.hidden = false;
      if (err.field === 'to') setFieldError(to.input, to.error, err.message);
      else if (err.field === 'body') setFieldError(message.input, message.error, err.message);
      else {
        sendError.textContent = err.message;
        sendError.hidden = false;
      }
    } finally {
      done();
    }
  });

  closeBtn.addEventListener('click', () => dialog.close());

  dialog.addEventListener('close', () => {
    const target = opener && opener.isConnected ? opener : customer && ctx.textButtonFor ? ctx.textButtonFor(customer.id) : null;
    opener = null;
    applied = seq; // drop answers still on the way
    if (target) target.focus();
    if (ctx.onClose) ctx.onClose();
  });

  function open(c, from) {
    customer = c;
    opener = from || document.activeElement;
    titleEl.textContent = `Text ${c.name}`;
    to.input.value = c.phone;
    message.input.value = '';
    plain.checked = Boolean(ctx.session && ctx.session.smart_encoding);
    quiet.checked = false;
    quietRow.hidden = true;
    clearSendErrors();
    result.replaceChildren();
    lastSpoken = '';
    counterLive.textContent = '';
    applied = seq;
    renderEmpty();
    dialog.showModal();
    message.input.focus();
    recount(); // the plugin's own count of the empty message replaces the placeholder
  }

  return { open, dialog };
}
