// The API client: bearer token from sessionStorage, problem+json errors as
// ApiError, Accept-Language following the console's language.
import { getLang, t } from './i18n.js';

export class ApiError extends Error {
  constructor(status, problem) {
    super(problemText(problem) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

function problemText(p) {
  if (!p) return '';
  let s = p.detail || p.title || '';
  const fields = p.errors || p.fields || p.invalid_params;
  // Each field error's detail is in the reader's language (the server's
  // catalogue); one the detail already says is not repeated.
  const more = Array.isArray(fields) ? fields.filter((f) => !(f.detail && s.includes(f.detail))) : [];
  if (more.length) {
    s += '（' + more.map((f) => [f.field || f.name, f.detail || f.message || f.reason].filter(Boolean).join('：')).join('；') + '）';
  }
  return s;
}

let token = sessionStorage.getItem('gridd.token') || '';
let onUnauthorized = () => {};

export const api = {
  get token() { return token; },
  setToken(v) {
    token = v || '';
    if (token) sessionStorage.setItem('gridd.token', token);
    else sessionStorage.removeItem('gridd.token');
  },
  onUnauthorized(fn) { onUnauthorized = fn; },
  headers(extra) {
    const h = { 'Accept-Language': getLang() === 'en' ? 'en' : 'zh-CN', ...extra };
    if (token) h.Authorization = 'Bearer ' + token;
    return h;
  },
  // request returns {status, headers, body}; failures throw ApiError.
  async request(method, path, body, extra) {
    const h = this.headers(extra);
    let payload;
    if (body !== undefined && body !== null) {
      h['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, { method, headers: h, body: payload });
    } catch (e) {
      throw new ApiError(0, { detail: t('network_error') });
    }
    const ct = res.headers.get('Content-Type') || '';
    let data = null;
    if (res.status !== 204) {
      data = ct.includes('json') ? await res.json().catch(() => null) : await res.text();
    }
    if (!res.ok) {
      if (res.status === 401 && token && !path.endsWith('/auth/login')) onUnauthorized();
      throw new ApiError(res.status, typeof data === 'object' ? data : { detail: String(data || '') });
    }
    // The user's own writes may change what waits for them (the inbox badge).
    if (method !== 'GET' && !path.startsWith('/api/v1/auth/')) window.dispatchEvent(new CustomEvent('gridd:write', { detail: { path } }));
    return { status: res.status, headers: res.headers, body: data };
  },
  async get(path) { return (await this.request('GET', path)).body; },
  // upload sends a photo's bytes to POST /api/v1/uploads and returns its id.
  async upload(file) {
    const res = await fetch('/api/v1/uploads', { method: 'POST', headers: this.headers({ 'Content-Type': file.type || 'application/octet-stream' }), body: file });
    const data = await res.json().catch(() => null);
    if (!res.ok) throw new ApiError(res.status, data);
    return data.id;
  },
  async post(path, body, extra) { return (await this.request('POST', path, body, extra)).body; },
};
