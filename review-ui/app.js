// The review UI's shell: sign-in, who you are, the views by URL hash
// (#/queue, #/diff/ID, #/memories, #/memory/ID, #/retention, #/audit) and
// the keyboard shortcuts every view shares.
import { api, getToken, setToken } from "./api.js";
import { state, h, clear, notify, errorBlock, dialog, isTyping, canSeeDiffs, isCompliance } from "./ui.js";
import { renderQueue } from "./queue.js";
import { renderDiff } from "./diff.js";
import { renderMemories, renderMemory } from "./memories.js";
import { renderRetention, renderAudit } from "./compliance.js";

const view = () => document.getElementById("view");
let viewKeys = null; // the current view's key handler: (ev) => handled
let renderSeq = 0;

const SHORTCUTS = [
  ["?", "show this help"],
  ["g q / g m / g a", "go to the queue, the memories, the audit log"],
  ["j / k", "next / previous item (hunk in a diff, row in a list)"],
  ["Enter", "open the selected row"],
  ["a", "approve the selected hunk (asks to confirm)"],
  ["r", "reject the selected hunk (asks for a reason)"],
  ["e", "edit the selected hunk's text before approving"],
  ["v", "switch between unified and side-by-side diffs"],
  ["o", "open or close the selected hunk's evidence"],
  ["/", "focus the search box"],
  ["Esc", "close a dialog"],
];

function showHelp() {
  return dialog({
    title: "Keyboard shortcuts",
    okLabel: "Close",
    body: () =>
      h(
        "table",
        { class: "shortcuts" },
        h("thead", null, h("tr", null, h("th", { scope: "col" }, "Key"), h("th", { scope: "col" }, "Does"))),
        h(
          "tbody",
          null,
          SHORTCUTS.map(([k, d]) => h("tr", null, h("td", null, h("kbd", null, k)), h("td", null, d))),
        ),
      ),
  });
}

function renderWho() {
  const who = clear(document.getElementById("who"));
  const nav = document.getElementById("nav");
  if (!state.me) {
    nav.hidden = true;
    return;
  }
  nav.hidden = false;
  for (const li of nav.querySelectorAll("[data-needs=compliance]")) li.hidden = !isCompliance();
  const queueLink = nav.querySelector("[data-view=queue]").parentElement;
  queueLink.hidden = !canSeeDiffs();
  who.append(
    h("span", { class: "who-name", "data-testid": "who-name" }, state.me.principal),
    h("span", { class: "role role-" + state.me.role, "data-testid": "who-role" }, state.me.role),
    h("span", { class: "who-scopes" }, "scopes: " + state.me.scopes.join(", ")),
    h("button", { type: "button", class: "link", on: { click: signOut } }, "Sign out"),
  );
}

function markNav(name) {
  for (const a of document.querySelectorAll("#nav a")) {
    if (a.dataset.view === name) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

function signOut() {
  setToken("");
  state.me = null;
  state.scopes = [];
  renderWho();
  location.hash = "#/signin";
  route();
}

// Scopes the page can offer in its pickers: the token's own, or (for a token
// with every scope) the scopes that have diffs.
async function loadScopes() {
  const own = state.me.scopes.filter((s) => s !== "*");
  const seen = new Set(own);
  if (canSeeDiffs()) {
    try {
      const res = await api.diffs({ state: "all" });
      for (const d of res.diffs || []) seen.add(d.scope);
    } catch {
      /* the pickers still take a typed scope */
    }
  }
  state.scopes = [...seen].sort();
}

async function signIn(token) {
  setToken(token);
  try {
    state.me = await api.whoami();
  } catch (e) {
    setToken("");
    state.me = null;
    throw e;
  }
  await loadScopes();
  renderWho();
}

function renderSignIn(container, problem) {
  const input = h("input", {
    id: "token",
    name: "token",
    type: "password",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
    "aria-describedby": "token-help",
  });
  const out = h("div", { class: "signin-error" });
  if (problem) out.append(problem);
  const form = h(
    "form",
    {
      class: "signin card",
      "aria-labelledby": "signin-title",
      on: {
        submit: async (ev) => {
          ev.preventDefault();
          clear(out);
          const t = input.value.trim();
          if (!t) return;
          try {
            await signIn(t);
            location.hash = canSeeDiffs() ? "#/queue" : "#/memories";
            route();
          } catch (e) {
            out.append(errorBlock(e, "Sign-in"));
            input.focus();
          }
        },
      },
    },
    h("h1", { id: "signin-title" }, "Sign in"),
    h("label", { for: "token" }, "Bearer token"),
    input,
    h(
      "p",
      { id: "token-help", class: "hint" },
      "A token from `curator tokens create --principal NAME`. It is kept in this tab only (sessionStorage) and sent to this server alone.",
    ),
    h("button", { type: "submit", class: "primary" }, "Sign in"),
    out,
  );
  container.append(form);
  input.focus();
}

export async function route() {
  const seq = ++renderSeq;
  const hash = location.hash || "#/";
  const parts = hash.replace(/^#\/?/, "").split("?");
  const path = parts[0].split("/").filter(Boolean).map(decodeURIComponent);
  const params = new URLSearchParams(parts[1] || "");
  const container = clear(view());
  viewKeys = null;
  notify("");
  if (!state.me) {
    if (getToken()) {
      try {
        await signIn(getToken());
      } catch (e) {
        if (seq !== renderSeq) return;
        markNav("");
        renderSignIn(container, errorBlock(e, "Sign-in"));
        return;
      }
    }
    if (!state.me) {
      markNav("");
      renderSignIn(container);
      return;
    }
  }
  if (seq !== renderSeq) return;
  const name = path[0] || (canSeeDiffs() ? "queue" : "memories");
  markNav(name === "diff" ? "queue" : name === "memory" ? "memories" : name);
  const ctx = { container, params, setKeys: (fn) => (viewKeys = fn), isCurrent: () => seq === renderSeq };
  try {
    const render = Object.hasOwn(VIEWS, name) ? VIEWS[name] : null;
    if (render) await render(ctx, path[1]);
    else container.append(h("h1", null, "Not found"), h("p", null, "There is no view called " + name + "."));
  } catch (e) {
    if (seq !== renderSeq) return;
    if (e && e.status === 401) {
      state.me = null;
      setToken("");
      renderWho();
      clear(container);
      renderSignIn(container, errorBlock(e, "Sign-in"));
      return;
    }
    container.append(errorBlock(e, "Loading this view"));
  }
}

// The views by the first part of the hash; each gets the context and the id.
const VIEWS = {
  signin: renderQueue,
  queue: renderQueue,
  diff: renderDiff,
  memories: renderMemories,
  memory: renderMemory,
  retention: renderRetention,
  audit: renderAudit,
};

let pendingG = false;
document.addEventListener("keydown", (ev) => {
  if (ev.defaultPrevented || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  if (document.querySelector("dialog[open]")) return;
  if (ev.key === "Escape" && isTyping(ev)) {
    ev.target.blur();
    return;
  }
  if (isTyping(ev)) return;
  if (ev.key === "?") {
    ev.preventDefault();
    showHelp();
    return;
  }
  if (!state.me) return;
  if (pendingG) {
    pendingG = false;
    const to = { q: "#/queue", m: "#/memories", a: "#/audit", r: "#/retention" }[ev.key];
    if (to) {
      ev.preventDefault();
      location.hash = to;
      return;
    }
  }
  if (ev.key === "g") {
    pendingG = true;
    setTimeout(() => (pendingG = false), 1500);
    return;
  }
  if (ev.key === "/") {
    const search = document.querySelector("[data-search]");
    if (search) {
      ev.preventDefault();
      search.focus();
      return;
    }
  }
  if (viewKeys && viewKeys(ev)) ev.preventDefault();
});

window.addEventListener("hashchange", () => {
  route().then(() => {
    const main = document.getElementById("main");
    if (!main.contains(document.activeElement) || document.activeElement === document.body) main.focus();
  });
});
route();
