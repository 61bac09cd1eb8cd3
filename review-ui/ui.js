// Shared pieces of the review UI: element building (text only, never HTML),
// the status line, dialogs, and the session state every view reads.

export const state = {
  me: null, // {principal, role, scopes}
  scopes: [], // scopes this principal may see, as far as the page knows
};

// h("p", {class: "x", on: {click: f}}, "text", child...) builds an element.
// Strings become text nodes; attributes are set with setAttribute, and names
// starting with "on" are refused so no markup or script can come in as data.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "on") {
        for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
      } else if (k === "dataset") {
        Object.assign(el.dataset, v);
      } else if (/^on/i.test(k)) {
        throw new Error("event attributes are not allowed: " + k);
      } else if (k === "value") {
        el.value = v;
      } else if (k === "checked" || k === "disabled" || k === "required" || k === "hidden" || k === "open" || k === "selected") {
        el[k] = Boolean(v);
      } else {
        el.setAttribute(k, v === true ? "" : String(v));
      }
    }
  }
  append(el, children);
  return el;
}

// Appends children (strings, nodes, arrays; null and false skipped).
export function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function time(iso, text) {
  return h("time", { datetime: iso || "", title: iso || "" }, text || iso || "");
}

// The polite status line at the top of main; errors go out as alerts.
export function notify(message, kind = "info") {
  const box = document.getElementById("status");
  clear(box);
  if (!message) return;
  box.className = "status status-" + kind;
  box.setAttribute("role", kind === "error" ? "alert" : "status");
  if (message instanceof Node) box.appendChild(message);
  else box.appendChild(document.createTextNode(message));
}

// A message block for an API error, with the server's words as they are and
// what the reader can do about it.
export function errorBlock(err, what) {
  const status = err && err.status;
  const lines = [];
  let title = what ? `${what} failed` : "Request failed";
  if (status === 401) {
    title = "Not signed in";
    lines.push("The token was not accepted. Sign in again with a valid token.");
  } else if (status === 403) {
    title = what ? `${what}: refused by the server` : "Refused by the server";
  } else if (status === 409) {
    title = what ? `${what}: conflict` : "Conflict";
  } else if (status === 0) {
    title = "The server could not be reached";
  }
  return h(
    "div",
    { class: "error-block", "data-status": String(status || 0), "data-type": (err && err.type) || "" },
    h("strong", null, title + (status ? ` (HTTP ${status}${err.type ? ", " + err.type : ""})` : "")),
    h("p", { class: "server-message" }, (err && err.message) || String(err)),
    lines.map((l) => h("p", null, l)),
  );
}

// Opens a modal dialog; resolves to the value of the button pressed (or
// null when cancelled). body() builds the form's content; validate(form)
// returns an error message or "" before "ok" is accepted.
export function dialog({ title, body, okLabel = "OK", okClass = "primary", validate }) {
  return new Promise((resolve) => {
    const titleId = "dlg-title-" + Math.random().toString(36).slice(2);
    const err = h("p", { class: "dialog-error", role: "alert" });
    // novalidate: validate() speaks in the dialog itself, not in a bubble.
    const form = h("form", { method: "dialog", novalidate: true });
    const dlg = h(
      "dialog",
      { class: "dialog", "aria-labelledby": titleId },
      h("h2", { id: titleId }, title),
      form,
    );
    const bodyEl = body ? body() : null;
    const ok = h("button", { type: "submit", value: "ok", class: okClass }, okLabel);
    const cancel = h("button", { type: "submit", value: "cancel", formnovalidate: true }, "Cancel");
    form.append(h("div", { class: "dialog-body" }, bodyEl), err, h("div", { class: "dialog-actions" }, cancel, ok));
    form.addEventListener("submit", (ev) => {
      const v = ev.submitter ? ev.submitter.value : "ok";
      if (v === "ok" && validate) {
        const msg = validate(form);
        if (msg) {
          ev.preventDefault();
          clear(err).append(msg);
          return;
        }
      }
    });
    dlg.addEventListener("close", () => {
      const v = dlg.returnValue === "ok" ? form : null;
      const prev = dlg._opener;
      dlg.remove();
      if (prev && prev.isConnected) prev.focus();
      resolve(v);
    });
    dlg._opener = document.activeElement;
    document.body.appendChild(dlg);
    dlg.showModal();
    const first = dlg.querySelector("textarea, input, select") || ok;
    first.focus();
  });
}

export function confirmDialog(title, message, okLabel, okClass) {
  return dialog({
    title,
    body: () => h("p", null, message),
    okLabel,
    okClass,
  }).then((f) => f !== null);
}

export function isTyping(ev) {
  const t = ev.target;
  return t && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName));
}

export function canDecide() {
  return state.me && (state.me.role === "owner" || state.me.role === "admin");
}

export function canSeeDiffs() {
  return state.me && ["owner", "compliance", "admin"].includes(state.me.role);
}

export function isCompliance() {
  return state.me && (state.me.role === "compliance" || state.me.role === "admin");
}

export function allScopes() {
  return state.me && state.me.scopes && state.me.scopes.includes("*");
}

// j/k over the elements matching selector inside root: moves focus (and
// scrolls) to the next or previous one. Returns a key handler.
export function listKeys(root, selector, extra) {
  return (ev) => {
    const items = [...root.querySelectorAll(selector)];
    if (ev.key === "j" || ev.key === "k") {
      if (!items.length) return false;
      const cur = items.findIndex((el) => el === document.activeElement || el.contains(document.activeElement));
      let next = ev.key === "j" ? cur + 1 : cur - 1;
      if (cur < 0) next = ev.key === "j" ? 0 : items.length - 1;
      next = Math.max(0, Math.min(items.length - 1, next));
      items[next].focus();
      items[next].scrollIntoView({ block: "nearest" });
      return true;
    }
    return extra ? extra(ev, items) : false;
  };
}
