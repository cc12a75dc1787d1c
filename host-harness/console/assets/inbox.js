// Inbox: conversations (newest first, unread badges), one conversation in time order, and a
// reply box that sends with POST /api/send to the conversation's number.
// Routes: #/inbox and #/inbox/<E.164 number, URL-encoded>.

import { api, h, field, setFieldError, busy, isBusy, timeEl, shortTime } from './api.js';

const POLL_MS = 15000;

export function threadHref(number) {
  return `#/inbox/${encodeURIComponent(number)}`;
}

export function createInboxView(ctx) {
  const title = h('h1', { id: 'inbox-title', tabindex: '-1', text: 'Inbox' });
  const list = h('ul', { class: 'thread-list', dataset: { testid: 'threads' }, 'aria-labelledby': 'threads-title' });
  const listStatus = h('p', { class: 'muted table-note', role: 'status' });
  const listError = h('p', { class: 'form-error', role: 'alert', hidden: true });

  const threadTitle = h('h2', { id: 'thread-title', tabindex: '-1', text: 'Conversation' });
  const threadSub = h('p', { class: 'muted mono' });
  const messages = h('ol', { class: 'messages', dataset: { testid: 'messages' }, 'aria-labelledby': 'thread-title' });
  const threadError = h('p', { class: 'form-error', role: 'alert', hidden: true });

  const reply = field({ label: 'Reply', name: 'body', textarea: true, rows: 3, spellcheck: true });
  const sendReply = h('button', { type: 'submit', class: 'btn btn-primary', text: 'Send reply' });
  const replyError = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const replyStatus = h('p', { class: 'form-status', role: 'status' });
  const replyForm = h('form', { class: 'reply-form', novalidate: true, 'aria-label': 'Reply to this conversation' },
    reply.row, h('div', { class: 'actions' }, sendReply, replyStatus), replyError);

  const threadPane = h('div', { class: 'thread-pane', hidden: true },
    h('header', { class: 'card-head thread-head' }, h('div', {}, threadTitle, threadSub)),
    threadError,
    h('div', { class: 'messages-wrap' }, messages),
    replyForm);
  const emptyPane = h('div', { class: 'thread-empty' },
    h('p', { text: 'Choose a conversation to read it and reply.' }));

  const section = h('section', { class: 'view', id: 'view-inbox', 'aria-labelledby': 'inbox-title', hidden: true },
    h('div', { class: 'view-head' }, h('div', {}, title, h('p', { class: 'muted', text: 'Replies from customers to the store\u2019s number, and what the store sent them.' }))),
    h('div', { class: 'inbox-layout' },
      h('article', { class: 'card thread-list-card' },
        h('header', { class: 'card-head' }, h('h2', { id: 'threads-title', text: 'Conversations' })),
        list, listStatus, listError),
      h('article', { class: 'card thread-card', 'aria-labelledby': 'thread-title' }, emptyPane, threadPane)));

  let current = null; // the open conversation's number
  let timer = null;

  function threadItem(t) {
    const unread = Number(t.unread) || 0;
    const last = t.last_body === null || t.last_body === undefined ? '(message not kept)' : t.last_body;
    const link = h('a', { href: threadHref(t.number), class: `thread-link${unread ? ' is-unread' : ''}`, 'aria-current': t.number === current ? 'true' : null },
      h('span', { class: 'thread-top' },
        h('span', { class: 'thread-name', text: t.name || t.number }),
        h('span', { class: 'thread-time', text: shortTime(t.last_at) })),
      h('span', { class: 'thread-bottom' },
        h('span', { class: 'thread-last' }, t.last_direction === 'out' ? h('span', { class: 'muted', text: 'You: ' }) : null, last),
        unread ? h('span', { class: 'badge', dataset: { testid: 'unread' } }, String(unread), h('span', { class: 'visually-hidden', text: ' unread' })) : null));
    return h('li', {}, link);
  }

  async function loadThreads() {
    try {
      const data = await api('GET', '/api/inbox');
      const threads = Array.isArray(data.threads) ? data.threads : [];
      list.replaceChildren(...threads.map(threadItem));
      listStatus.textContent = threads.length ? '' : 'No conversations yet. Replies to the store\u2019s number show up here.';
      listError.hidden = true;
      ctx.setUnread(threads.reduce((n, t) => n + (Number(t.unread) || 0), 0));
    } catch (err) {
      listError.textContent = err.message;
      listError.hidden = false;
    }
  }

  function messageItem(m) {
    const out = m.direction === 'out';
    const meta = [timeEl(m.at)];
    if (out) {
      if (m.status) meta.push(' · ', h('span', { class: 'msg-status', dataset: { testid: 'message-status' }, text: m.status }));
      if (m.error_kind) meta.push(' · ', h('span', { class: 'msg-error', text: m.error_kind }));
      if (m.kind && m.kind !== 'send') meta.push(' · ', h('span', { class: 'msg-kind', text: m.kind === 'test' ? 'test message' : m.kind }));
      if (m.user) meta.push(' · ', h('span', { text: `by ${m.user}` }));
    } else if (m.read === false) {
      meta.push(' · ', h('span', { class: 'msg-new', text: 'new' }));
    }
    return h('li', { class: `msg ${out ? 'msg-out' : 'msg-in'}`, dataset: { testid: 'message', direction: out ? 'out' : 'in' } },
      h('span', { class: 'visually-hidden', text: out ? 'Store: ' : 'Customer: ' }),
      h('p', { class: 'bubble' }, m.body === null || m.body === undefined ? h('em', { text: '(message not kept)' }) : m.body),
      h('p', { class: 'msg-meta' }, ...meta));
  }

  async function loadThread(number, { focus = false } = {}) {
    try {
      const data = await api('GET', `/api/threads/${encodeURIComponent(number)}`);
      if (current !== number) return;
      threadTitle.textContent = data.name || data.number || number;
      threadSub.textContent = data.name ? data.number : '';
      const items = Array.isArray(data.messages) ? data.messages : [];
      messages.replaceChildren(...items.map(messageItem));
      if (!items.length) messages.replaceChildren(h('li', { class: 'muted', text: 'No messages yet.' }));
      threadError.hidden = true;
      const wrap = messages.parentElement;
      wrap.scrollTop = wrap.scrollHeight;
      if (focus) threadTitle.focus();
    } catch (err) {
      if (current !== number) return;
      threadError.textContent = err.message;
      threadError.hidden = false;
    }
  }

  replyForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!current || isBusy(sendReply)) return;
    setFieldError(reply.input, reply.error, null);
    replyError.hidden = true;
    replyStatus.textContent = '';
    const number = current;
    const done = busy(sendReply, 'Sending…');
    try {
      const receipt = await api('POST', '/api/send', {
        to: number,
        body: reply.input.value,
        smart_encoding: Boolean(ctx.session && ctx.session.smart_encoding),
        override_quiet_hours: false,
      });
      reply.input.value = '';
      replyStatus.textContent = `Sent (${receipt.status || 'queued'}).`;
      await Promise.all([loadThread(number), loadThreads()]);
    } catch (err) {
      if (err.field === 'body') setFieldError(reply.input, reply.error, err.message);
      else {
        replyError.textContent = err.message;
        replyError.hidden = false;
      }
    } finally {
      done();
    }
  });

  async function show(arg, { fromNav = false } = {}) {
    const number = arg || null;
    const changed = number !== current;
    current = number;
    if (number) {
      emptyPane.hidden = true;
      threadPane.hidden = false;
      if (changed) {
        messages.replaceChildren();
        threadTitle.textContent = number;
        threadSub.textContent = '';
        reply.input.value = '';
        replyStatus.textContent = '';
        replyError.hidden = true;
        setFieldError(reply.input, reply.error, null);
      }
      // Opening a thread marks its replies read, so the list is loaded after it.
      await loadThread(number, { focus: changed && fromNav });
      await loadThreads();
    } else {
      emptyPane.hidden = false;
      threadPane.hidden = true;
      await loadThreads();
    }
    clearInterval(timer);
    timer = setInterval(() => {
      if (document.hidden) return;
      loadThreads();
      if (current) loadThread(current);
    }, POLL_MS);
  }

  function hide() {
    clearInterval(timer);
    timer = null;
  }

  return { name: 'inbox', title: 'Inbox', section, heading: title, show, hide, ownsFocus: true };
}
