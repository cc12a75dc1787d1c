// Settings -> Integrations -> Twilio: connect (Account SID, Auth Token, Phone Number),
// the connected account, Send Test SMS and Disconnect.
//
// The Auth Token lives only in its password input until the request is sent; the input is
// cleared on every attempt, and nothing keeps a copy.

import { api, h, field, setFieldError, busy, isBusy, announce } from './api.js';

export function createSettingsView(ctx) {
  const title = h('h1', { id: 'settings-title', tabindex: '-1', text: 'Settings' });
  const body = h('div', { class: 'card-body', id: 'twilio-card-body' });
  const status = h('span', { class: 'pill', id: 'twilio-status', text: 'Checking…' });
  const card = h('article', { class: 'card integration-card', 'aria-labelledby': 'twilio-card-title', dataset: { testid: 'twilio-card' } },
    h('header', { class: 'card-head' },
      h('div', { class: 'integration-title' },
        h('span', { class: 'integration-logo', 'aria-hidden': 'true', text: 'T' }),
        h('div', {},
          h('h3', { id: 'twilio-card-title', tabindex: '-1', text: 'Twilio' }),
          h('p', { class: 'muted', text: 'Text customers from the store\u2019s own Twilio number.' }))),
      status),
    body);

  const section = h('section', { class: 'view', id: 'view-settings', 'aria-labelledby': 'settings-title', hidden: true },
    h('div', { class: 'view-head' },
      h('div', {}, title, h('p', { class: 'muted', text: 'How this console reaches customers.' }))),
    h('div', { class: 'settings-layout' },
      h('nav', { class: 'subnav', 'aria-label': 'Settings sections' },
        h('a', { href: '#/settings', 'aria-current': 'page', text: 'Integrations' })),
      h('div', { class: 'settings-main' },
        h('h2', { class: 'section-title', text: 'Integrations' }),
        card)));

  function setStatus(connected) {
    status.textContent = connected ? 'Connected' : 'Not connected';
    status.className = `pill ${connected ? 'pill-ok' : 'pill-muted'}`;
  }

  function renderLoadError(err) {
    const retry = h('button', { type: 'button', class: 'btn', text: 'Try again' });
    retry.addEventListener('click', () => show());
    body.replaceChildren(h('p', { class: 'form-error', role: 'alert', text: err.message }), retry);
  }

  // ---- not connected: the connect form ----------------------------------------------------
  function renderForm() {
    setStatus(false);
    const sid = field({ label: 'Account SID', name: 'account_sid', placeholder: 'AC…', hint: 'On the Twilio Console home page; starts with AC.' });
    const token = field({ label: 'Auth Token', name: 'auth_token', type: 'password', hint: 'Next to the Account SID. It is kept on this computer and never shown again.' });
    const phone = field({ label: 'Phone Number', name: 'phone_number', type: 'tel', placeholder: '+1 555 010 0006', hint: 'One of the account\u2019s Twilio numbers; texts come from it.' });
    token.input.value = '';
    const fields = { account_sid: sid, auth_token: token, phone_number: phone };
    const formError = h('p', { class: 'form-error', id: 'twilio-form-error', role: 'alert', hidden: true });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', text: 'Connect Twilio' });
    const form = h('form', { class: 'stack', novalidate: true, 'aria-describedby': 'twilio-form-error' },
      sid.row, token.row, phone.row,
      h('div', { class: 'actions' }, submit),
      formError);

    function clearErrors() {
      for (const f of Object.values(fields)) setFieldError(f.input, f.error, null);
      formError.hidden = true;
      formError.textContent = '';
    }

    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (isBusy(submit)) return;
      clearErrors();
      const payload = {
        account_sid: sid.input.value.trim(),
        auth_token: token.input.value.trim(),
        phone_number: phone.input.value.trim(),
      };
      token.input.value = '';
      const done = busy(submit, 'Connecting…');
      try {
        const state = await api('POST', '/api/twilio/connect', payload);
        payload.auth_token = '';
        if (state && state.connected) {
          renderConnected(state);
          announce('Twilio connected.');
          card.querySelector('#twilio-card-title').focus();
        } else {
          done();
          formError.textContent = 'Twilio did not connect. Try again.';
          formError.hidden = false;
        }
      } catch (err) {
        payload.auth_token = '';
        done();
        const f = err.field && fields[err.field];
        if (f) {
          setFieldError(f.input, f.error, err.message);
          f.input.focus();
        } else {
          formError.textContent = err.message;
          formError.hidden = false;
        }
      } finally {
        token.input.value = '';
      }
    });

    body.replaceChildren(
      h('p', { class: 'lead', text: 'Connect the store\u2019s Twilio account to text customers from this console and the point of sale.' }),
      form);
  }

  // ---- connected: the account, Send Test SMS, Disconnect ----------------------------------
  function renderConnected(state) {
    setStatus(true);
    const details = h('dl', { class: 'details' },
      h('div', {}, h('dt', { text: 'Account SID' }), h('dd', {}, h('code', { dataset: { testid: 'masked-sid' }, text: state.masked_sid || '—' }))),
      h('div', {}, h('dt', { text: 'Account name' }), h('dd', { dataset: { testid: 'friendly-name' }, text: state.friendly_name || '—' })),
      h('div', {}, h('dt', { text: 'Sends from' }), h('dd', { dataset: { testid: 'sender' }, text: state.sender || '—' })));

    // Send Test SMS: a small inline form.
    const testToggle = h('button', { type: 'button', class: 'btn', 'aria-expanded': 'false', 'aria-controls': 'twilio-test-panel', text: 'Send Test SMS' });
    const yourPhone = field({ label: 'Your phone', name: 'to', type: 'tel', placeholder: '+1 212 555 0100', extraClass: 'field-inline' });
    const sendTest = h('button', { type: 'submit', class: 'btn btn-primary', text: 'Send test' });
    const testResult = h('div', { class: 'result', role: 'status', dataset: { testid: 'test-result' } });
    const testError = h('p', { class: 'form-error', role: 'alert', hidden: true });
    const testForm = h('form', { class: 'inline-form', novalidate: true },
      yourPhone.row, h('div', { class: 'inline-actions' }, sendTest));
    const testPanel = h('div', { class: 'subpanel', id: 'twilio-test-panel', hidden: true },
      h('p', { class: 'muted', text: 'Sends one short test message from the store\u2019s number to your own phone.' }),
      testForm, testResult, testError);

    testToggle.addEventListener('click', () => {
      const open = testPanel.hidden;
      testPanel.hidden = !open;
      testToggle.setAttribute('aria-expanded', String(open));
      if (open) yourPhone.input.focus();
    });

    testForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (isBusy(sendTest)) return;
      setFieldError(yourPhone.input, yourPhone.error, null);
      testError.hidden = true;
      testResult.replaceChildren();
      const done = busy(sendTest, 'Sending…');
      try {
        const receipt = await api('POST', '/api/twilio/test', { to: yourPhone.input.value.trim() });
        testResult.replaceChildren(receiptView(receipt, 'Test message sent'));
      } catch (err) {
        if (err.field === 'to') setFieldError(yourPhone.input, yourPhone.error, err.message);
        else {
          testError.textContent = err.message;
          testError.hidden = false;
        }
      } finally {
        done();
      }
    });

    // Disconnect: a second click confirms.
    const disconnect = h('button', { type: 'button', class: 'btn btn-danger-outline', text: 'Disconnect' });
    const cancel = h('button', { type: 'button', class: 'btn btn-quiet', hidden: true, text: 'Cancel' });
    const confirmNote = h('p', { class: 'confirm-note', id: 'twilio-disconnect-note', hidden: true,
      text: 'Texts and automatic notices stop until Twilio is connected again. The audit log is kept.' });
    const cardError = h('p', { class: 'form-error', role: 'alert', hidden: true });
    let confirming = false;

    function resetConfirm() {
      confirming = false;
      disconnect.textContent = 'Disconnect';
      disconnect.className = 'btn btn-danger-outline';
      disconnect.removeAttribute('aria-describedby');
      cancel.hidden = true;
      confirmNote.hidden = true;
    }

    disconnect.addEventListener('click', async () => {
      if (isBusy(disconnect)) return;
      cardError.hidden = true;
      if (!confirming) {
        confirming = true;
        disconnect.textContent = 'Confirm disconnect';
        disconnect.className = 'btn btn-danger';
        disconnect.setAttribute('aria-describedby', confirmNote.id);
        cancel.hidden = false;
        confirmNote.hidden = false;
        return;
      }
      const done = busy(disconnect, 'Disconnecting…');
      try {
        const state = await api('POST', '/api/twilio/disconnect', {});
        if (state && state.connected) renderConnected(state);
        else renderForm();
        announce('Twilio disconnected.');
        card.querySelector('#twilio-card-title').focus();
      } catch (err) {
        done();
        resetConfirm();
        cardError.textContent = err.message;
        cardError.hidden = false;
      }
    });
    cancel.addEventListener('click', () => {
      resetConfirm();
      disconnect.focus();
    });

    // Not in the contract's shape, but shown when the server passes Twilio's word on it.
    let accountNote = null;
    if (state.account_type === 'Trial') {
      accountNote = h('p', { class: 'note-warn', text: 'This is a Twilio trial account: it can text only phone numbers verified in the Twilio Console, and every text starts with Twilio\u2019s trial notice.' });
    } else if (state.status && state.status !== 'active') {
      accountNote = h('p', { class: 'note-warn', text: `Twilio says this account is ${state.status}; texts will fail until it is active again.` });
    }

    // replaceChildren would show a null as the text "null": leave absent parts out.
    body.replaceChildren(...[
      details,
      accountNote,
      h('div', { class: 'actions' }, testToggle, h('span', { class: 'spacer' }), confirmNote, cancel, disconnect),
      testPanel,
      cardError].filter(Boolean));
  }

  async function show() {
    try {
      const state = await api('GET', '/api/twilio');
      if (state.connected) renderConnected(state);
      else renderForm();
    } catch (err) {
      setStatus(false);
      status.textContent = 'Unknown';
      renderLoadError(err);
    }
  }

  return { name: 'settings', title: 'Settings', section, heading: title, show };
}

/** A Twilio receipt {sid, to, status, segments} as a short confirmation. */
export function receiptView(receipt, lead) {
  const segs = Number(receipt.segments);
  return h('div', { class: 'receipt', dataset: { testid: 'receipt' } },
    h('p', { class: 'receipt-lead' }, h('span', { class: 'check', 'aria-hidden': 'true', text: '\u2713' }), `${lead}${receipt.to ? ` to ${receipt.to}` : ''}.`),
    h('dl', { class: 'receipt-details' },
      h('div', {}, h('dt', { text: 'Message SID' }), h('dd', {}, h('code', { dataset: { testid: 'receipt-sid' }, text: receipt.sid || '—' }))),
      h('div', {}, h('dt', { text: 'Status' }), h('dd', { dataset: { testid: 'receipt-status' }, text: receipt.status || '—' })),
      h('div', {}, h('dt', { text: 'Segments' }), h('dd', { dataset: { testid: 'receipt-segments' }, text: Number.isFinite(segs) ? String(segs) : '—' }))));
}
