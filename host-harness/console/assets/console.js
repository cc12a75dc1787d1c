// Entry module: loads the session, fills the header, builds the screens and routes between
// them by the URL hash (#/customers, #/inbox[/number], #/audit, #/settings).

import { getSession, api } from './api.js';
import { createSettingsView } from './settings.js';
import { createCustomersView } from './customers.js';
import { createTextDialog } from './text-dialog.js';
import { createAuditView } from './audit.js';
import { createInboxView } from './inbox.js';

const DEFAULT_ROUTE = 'customers';

function $(id) {
  return document.getElementById(id);
}

function showLocked(err) {
  $('boot').hidden = true;
  $('nav').hidden = true;
  const locked = $('locked');
  locked.hidden = false;
  if (err.status === 401) {
    // The default text of #locked already says what to do.
  } else if (err.status === 403) {
    $('locked-title').textContent = 'This address is not allowed';
    $('locked-message').textContent = 'The console answers only at the address `host-harness console` printed (127.0.0.1 and its port). Open that URL instead.';
  } else {
    $('locked-title').textContent = 'The console is not answering';
    $('locked-message').textContent = err.message;
  }
  document.title = `${$('locked-title').textContent} · SMS console`;
}

function fillHeader(session) {
  const store = session.store_name && String(session.store_name).trim() ? session.store_name : 'Your store';
  $('store-name').textContent = store;
  $('user-name').textContent = session.user || 'console';
  $('signed-in').hidden = false;
  $('demo-badge').hidden = !session.demo;
  $('api-version').textContent = session.api_version ? `Plugin API pos:sms ${session.api_version}` : '';
  return store;
}

function setUnread(n) {
  const badge = $('nav-unread');
  if (n > 0) {
    badge.replaceChildren(String(n), Object.assign(document.createElement('span'), { className: 'visually-hidden', textContent: ' unread' }));
    badge.hidden = false;
  } else {
    badge.replaceChildren();
    badge.hidden = true;
  }
}

async function main() {
  let session;
  try {
    session = await getSession();
  } catch (err) {
    showLocked(err);
    return;
  }
  const store = fillHeader(session);

  const ctx = { session, setUnread };
  const customers = createCustomersView(ctx);
  const textDialog = createTextDialog({ session, textButtonFor: (id) => customers.textButtonFor(id) });
  ctx.openTextDialog = (customer, opener) => textDialog.open(customer, opener);
  const views = {
    customers,
    inbox: createInboxView(ctx),
    audit: createAuditView(ctx),
    settings: createSettingsView(ctx),
  };

  const mainEl = $('main');
  $('boot').remove();
  for (const v of Object.values(views)) mainEl.append(v.section);
  $('nav').hidden = false;

  let active = null;

  function parse() {
    const raw = location.hash.replace(/^#\/?/, '');
    const [name, ...rest] = raw.split('/');
    if (!views[name]) return null;
    const arg = rest.join('/');
    let decoded = null;
    if (arg) {
      try {
        decoded = decodeURIComponent(arg);
      } catch {
        decoded = arg;
      }
    }
    return { name, arg: decoded };
  }

  function route({ initial = false } = {}) {
    const r = parse();
    if (!r) {
      history.replaceState(null, '', `#/${DEFAULT_ROUTE}`);
      return route({ initial });
    }
    const view = views[r.name];
    if (active && active !== view && active.hide) active.hide();
    for (const v of Object.values(views)) v.section.hidden = v !== view;
    for (const a of document.querySelectorAll('#nav a[data-route]')) {
      if (a.dataset.route === r.name) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    document.title = `${view.title} · SMS console · ${store}`;
    active = view;
    const fromNav = !initial;
    view.show(r.arg, { fromNav });
    // After a navigation, move focus to the screen's heading so the change is announced,
    // unless the screen places focus itself (opening a conversation).
    if (fromNav && !(view.ownsFocus && r.arg)) view.heading.focus();
    if (r.name !== 'inbox') refreshUnread();
  }

  async function refreshUnread() {
    try {
      const data = await api('GET', '/api/inbox');
      const threads = Array.isArray(data.threads) ? data.threads : [];
      setUnread(threads.reduce((n, t) => n + (Number(t.unread) || 0), 0));
    } catch {
      // the badge is a convenience; the Inbox screen shows its own errors
    }
  }

  window.addEventListener('hashchange', () => route());
  route({ initial: true });
}

main();
