// The checklist template editor (检查表) of the center's duties tab: a new
// template, or an edit of one, saved with POST /api/v1/inspection-templates,
// which stores the next version of the code (inspections keep the version
// they were made on). forces.js calls editor; nothing else.
import { api } from './api.js';
import { t, extend } from './i18n.js';
import { h, clear } from './dom.js';

extend({
  ck_new: '新建检查表',
  ck_edit: '编辑',
  ck_code: '代码（小写字母、数字、下划线）',
  ck_name: '名称',
  ck_kind: '对象',
  ck_kind_business: '门店',
  ck_kind_place: '场所',
  ck_category: '门店或场所类型',
  ck_items: '检查项',
  ck_item_code: '项代码',
  ck_item_text: '检查内容',
  ck_item_category: '不合格时立案的小类',
  ck_add_item: '添加一项',
  ck_remove: '删除',
  ck_save: '保存为新版本',
  ck_cancel: '取消',
  ck_saved: '已保存：{name} 第{v}版',
}, {
  ck_new: 'New checklist',
  ck_edit: 'Edit',
  ck_code: 'Code (lower-case letters, digits, _)',
  ck_name: 'Name',
  ck_kind: 'Applies to',
  ck_kind_business: 'Business',
  ck_kind_place: 'Place',
  ck_category: 'Business or place type',
  ck_items: 'Items',
  ck_item_code: 'Item code',
  ck_item_text: 'What is checked',
  ck_item_category: 'Case category when it fails',
  ck_add_item: 'Add an item',
  ck_remove: 'Remove',
  ck_save: 'Save as a new version',
  ck_cancel: 'Cancel',
  ck_saved: 'Saved: {name} version {v}',
});

function input(id, label, value = '', attrs = {}) {
  return h('label', { class: 'field' }, h('span', {}, label), h('input', { type: 'text', id, value, ...attrs }));
}

// editor fills box with a form for template tp (null: a new one); saved is
// called with the stored version.
export function editor(box, tp, saved) {
  const items = h('div', { id: 'ck-items' });
  const itemRow = (it = { code: '', text: '', category: '' }) => {
    const row = h('div', { class: 'ck-item row' },
      h('input', { type: 'text', class: 'ck-item-code', value: it.code, placeholder: t('ck_item_code'), 'aria-label': t('ck_item_code') }),
      h('input', { type: 'text', class: 'ck-item-text', value: it.text, placeholder: t('ck_item_text'), 'aria-label': t('ck_item_text') }),
      h('input', { type: 'text', class: 'ck-item-category', value: it.category, placeholder: t('ck_item_category'), 'aria-label': t('ck_item_category') }),
      h('button', { type: 'button', class: 'ghost ck-remove', onclick: () => row.remove() }, t('ck_remove')));
    items.append(row);
  };
  for (const it of tp ? tp.items : [undefined]) itemRow(it);
  const kind = h('select', { id: 'ck-kind', 'aria-label': t('ck_kind') },
    ...['business', 'place'].map((k) => h('option', { value: k, selected: tp && tp.kind === k }, t('ck_kind_' + k))));
  const msg = h('p', { id: 'ck-msg', role: 'status' });
  const save = h('button', { type: 'button', class: 'primary', id: 'ck-save' }, t('ck_save'));
  const val = (id) => box.querySelector('#' + id).value.trim();
  save.addEventListener('click', async () => {
    const body = {
      code: val('ck-code'), name: val('ck-name'), kind: kind.value, category: val('ck-category'),
      items: [...items.querySelectorAll('.ck-item')].map((r) => ({
        code: r.querySelector('.ck-item-code').value.trim(), text: r.querySelector('.ck-item-text').value.trim(),
        category: r.querySelector('.ck-item-category').value.trim(),
      })),
    };
    save.disabled = true;
    try {
      const out = await api.post('/api/v1/inspection-templates', body);
      msg.className = 'ok';
      msg.textContent = t('ck_saved', { name: out.name, v: out.version });
      saved(out);
    } catch (e) {
      msg.className = 'error';
      msg.textContent = t('error', { msg: e.message });
    } finally {
      save.disabled = false;
    }
  });
  clear(box).append(h('form', { class: 'ck-form', id: 'ck-form', onsubmit: (e) => e.preventDefault() },
    input('ck-code', t('ck_code'), tp ? tp.code : '', tp ? { readonly: true } : {}),
    input('ck-name', t('ck_name'), tp ? tp.name : ''),
    h('label', { class: 'field' }, h('span', {}, t('ck_kind')), kind),
    input('ck-category', t('ck_category'), tp ? tp.category : ''),
    h('h3', {}, t('ck_items')), items,
    h('p', {}, h('button', { type: 'button', class: 'ghost', id: 'ck-add', onclick: () => itemRow() }, t('ck_add_item')), ' ', save, ' ',
      h('button', { type: 'button', class: 'ghost', id: 'ck-cancel', onclick: () => clear(box) }, t('ck_cancel'))),
    msg));
}
