// Customers: the list (name, phone), Add / Edit / Delete, and a "Text" button per row that
// opens the Text dialog.

import { api, h, field, setFieldError, busy, isBusy, announce } from './api.js';

export function createCustomersView(ctx) {
  const title = h('h1', { id: 'customers-title', tabindex: '-1', text: 'Customers' });
  const count = h('span', { class: 'muted', id: 'customer-count' });
  const tbody = h('tbody');
  const listStatus = h('p', { class: 'muted table-note', role: 'status' });
  const listError = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const table = h('table', { class: 'table', 'aria-labelledby': 'customers-table-title', dataset: { testid: 'customers-table' } },
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col', text: 'Name' }),
      h('th', { scope: 'col', text: 'Phone' }),
      h('th', { scope: 'col', class: 'col-actions' }, h('span', { class: 'visually-hidden', text: 'Actions' })))),
    tbody);

  // One form for Add and Edit.
  const formTitle = h('h2', { id: 'customer-form-title', tabindex: '-1', text: 'Add customer' });
  const name = field({ label: 'Name', name: 'name', autocomplete: 'off', spellcheck: true });
  const phone = field({ label: 'Phone', name: 'phone', type: 'tel', hint: 'Any format; US numbers may leave out +1.' });
  const fields = { name, phone };
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', text: 'Add customer' });
  const cancelEdit = h('button', { type: 'button', class: 'btn btn-quiet', hidden: true, text: 'Cancel' });
  const formError = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const formStatus = h('p', { class: 'form-status', role: 'status' });
  const form = h('form', { class: 'stack', novalidate: true, 'aria-labelledby': 'customer-form-title' },
    name.row, phone.row, h('div', { class: 'actions' }, submit, cancelEdit), formError, formStatus);

  const section = h('section', { class: 'view', id: 'view-customers', 'aria-labelledby': 'customers-title', hidden: true },
    h('div', { class: 'view-head' }, h('div', {}, title, h('p', { class: 'muted', text: 'Text a customer from their row. Numbers are stored in international (E.164) form.' }))),
    h('div', { class: 'grid-2' },
      h('article', { class: 'card' },
        h('header', { class: 'card-head' }, h('h2', { id: 'customers-table-title', text: 'All customers' }), count),
        h('div', { class: 'table-wrap' }, table, listStatus, listError)),
      h('article', { class: 'card card-narrow' },
        h('header', { class: 'card-head' }, formTitle),
        h('div', { class: 'card-body' }, form))));

  let customers = [];
  let editing = null; // the customer being edited, or null when adding

  function clearErrors() {
    for (const f of Object.values(fields)) setFieldError(f.input, f.error, null);
    formError.hidden = true;
  }

  function startEdit(customer) {
    editing = customer;
    clearErrors();
    formStatus.textContent = '';
    formTitle.textContent = `Edit ${customer.name}`;
    submit.textContent = 'Save changes';
    cancelEdit.hidden = false;
    name.input.value = customer.name;
    phone.input.value = customer.phone;
    name.input.focus();
  }

  function stopEdit({ focusRow = true } = {}) {
    const was = editing;
    editing = null;
    clearErrors();
    formTitle.textContent = 'Add customer';
    submit.textContent = 'Add customer';
    cancelEdit.hidden = true;
    name.input.value = '';
    phone.input.value = '';
    if (was && focusRow) {
      const btn = tbody.querySelector(`button[data-edit="${was.id}"]`);
      if (btn) btn.focus();
    }
  }

  cancelEdit.addEventListener('click', () => stopEdit());

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (isBusy(submit)) return;
    clearErrors();
    formStatus.textContent = '';
    const payload = { name: name.input.value.trim(), phone: phone.input.value.trim() };
    const target = editing;
    const done = busy(submit, target ? 'Saving…' : 'Adding…');
    try {
      const saved = target
        ? await api('PUT', `/api/customers/${encodeURIComponent(target.id)}`, payload)
        : await api('POST', '/api/customers', payload);
      done();
      await load();
      if (target) {
        stopEdit();
        formStatus.textContent = `Saved ${saved.name} (${saved.phone}).`;
      } else {
        name.input.value = '';
        phone.input.value = '';
        formStatus.textContent = `Added ${saved.name} (${saved.phone}).`;
        name.input.focus();
      }
    } catch (err) {
      done();
      const f = err.field && fields[err.field];
      if (f) {
        setFieldError(f.input, f.error, err.message);
        f.input.focus();
      } else {
        formError.textContent = err.message;
        formError.hidden = false;
      }
    }
  });

  function row(customer) {
    const textBtn = h('button', { type: 'button', class: 'btn btn-primary btn-sm', 'aria-label': `Text ${customer.name}`, dataset: { text: customer.id }, text: 'Text' });
    const editBtn = h('button', { type: 'button', class: 'btn btn-sm', 'aria-label': `Edit ${customer.name}`, dataset: { edit: customer.id }, text: 'Edit' });
    const delBtn = h('button', { type: 'button', class: 'btn btn-sm btn-danger-outline', 'aria-label': `Delete ${customer.name}`, dataset: { delete: customer.id }, text: 'Delete' });
    textBtn.addEventListener('click', () => ctx.openTextDialog(customer, textBtn));
    editBtn.addEventListener('click', () => startEdit(customer));

    let confirming = false;
    const reset = () => {
      confirming = false;
      delBtn.textContent = 'Delete';
      delBtn.className = 'btn btn-sm btn-danger-outline';
      delBtn.setAttribute('aria-label', `Delete ${customer.name}`);
    };
    delBtn.addEventListener('blur', () => { if (confirming && !isBusy(delBtn)) reset(); });
    delBtn.addEventListener('click', async () => {
      if (isBusy(delBtn)) return;
      if (!confirming) {
        confirming = true;
        delBtn.textContent = 'Confirm delete';
        delBtn.className = 'btn btn-sm btn-danger';
        delBtn.setAttribute('aria-label', `Confirm delete ${customer.name}`);
        return;
      }
      const done = busy(delBtn, 'Deleting…');
      listError.hidden = true;
      try {
        await api('DELETE', `/api/customers/${encodeURIComponent(customer.id)}`);
        if (editing && editing.id === customer.id) stopEdit({ focusRow: false });
        await load();
        announce(`Deleted ${customer.name}.`);
        title.focus();
      } catch (err) {
        done();
        reset();
        listError.textContent = err.message;
        listError.hidden = false;
      }
    });

    return h('tr', { dataset: { customer: customer.id } },
      h('th', { scope: 'row', class: 'cell-name' }, h('span', { class: 'avatar', 'aria-hidden': 'true', text: initials(customer.name) }), h('span', { dataset: { testid: 'customer-name' }, text: customer.name })),
      h('td', { class: 'cell-phone' }, h('span', { class: 'mono', text: customer.phone })),
      h('td', { class: 'col-actions' }, h('div', { class: 'row-actions' }, textBtn, editBtn, delBtn)));
  }

  function render() {
    tbody.replaceChildren(...customers.map(row));
    count.textContent = customers.length === 1 ? '1 customer' : `${customers.length} customers`;
    listStatus.textContent = customers.length ? '' : 'No customers yet. Add one with the form.';
  }

  async function load() {
    try {
      const data = await api('GET', '/api/customers');
      customers = Array.isArray(data.customers) ? data.customers : [];
      listError.hidden = true;
      render();
    } catch (err) {
      listError.textContent = err.message;
      listError.hidden = false;
    }
  }

  return {
    name: 'customers',
    title: 'Customers',
    section,
    heading: title,
    show: () => load(),
    /** The Text button of a customer, after a reload (for returning focus). */
    textButtonFor: (id) => tbody.querySelector(`button[data-text="${CSS.escape(String(id))}"]`),
  };
}

function initials(name) {
  const parts = String(name || '').trim().split(/\s+/).filter(Boolean);
  if (!parts.length) return '?';
  const first = [...parts[0]][0] || '';
  const last = parts.length > 1 ? [...parts[parts.length - 1]][0] || '' : '';
  return (first + last).toUpperCase();
}
