// The memory browser: search a scope's memories, open one's history (the
// store commits that touched it, their authors and evidence trailers) and
// revert a commit.
import { api } from "./api.js";
import { state, h, clear, time, errorBlock, confirmDialog, listKeys, canDecide } from "./ui.js";
import { markText, shortSha, age } from "./text.js";

function textWithMarks(text) {
  return markText(text || "", []).map((s) =>
    s.mark ? h("mark", { class: "redacted", title: `redacted by rule ${s.mark.rule}` }, s.text) : s.text,
  );
}

export async function renderMemories({ container, params, setKeys, isCurrent }) {
  const scope = params.get("scope") || (state.scopes.length === 1 ? state.scopes[0] : "");
  const q = params.get("q") || "";
  const scopeIn = h("input", { id: "m-scope", name: "scope", list: "m-scopes", value: scope, required: true, autocomplete: "off", size: "16" });
  const qIn = h("input", { id: "m-q", name: "q", type: "search", value: q, "data-search": true, placeholder: "words to rank by", size: "32" });
  const form = h(
    "form",
    {
      class: "filters",
      role: "search",
      "aria-label": "Search memories",
      on: {
        submit: (ev) => {
          ev.preventDefault();
          const p = new URLSearchParams();
          p.set("scope", scopeIn.value.trim());
          if (qIn.value.trim()) p.set("q", qIn.value.trim());
          location.hash = "#/memories?" + p.toString();
        },
      },
    },
    h("label", { for: "m-scope" }, "Scope"),
    scopeIn,
    h("datalist", { id: "m-scopes" }, state.scopes.map((s) => h("option", { value: s }))),
    h("label", { for: "m-q" }, "Search"),
    qIn,
    h("button", { type: "submit", class: "primary" }, "Search"),
  );
  container.append(h("h1", null, "Memories"), form);
  if (!scope) {
    container.append(h("p", { class: "hint" }, "Pick a scope" + (state.scopes.length ? ` (${state.scopes.join(", ")})` : "") + " to see its memories, ranked against your search words."));
    if (!q) qIn.removeAttribute("data-search");
    scopeIn.focus();
    return;
  }
  const res = await api.memories(scope, q);
  if (!isCurrent()) return;
  const mems = res.memories || [];
  container.append(
    h(
      "p",
      { class: "muted", "data-testid": "memories-count" },
      `${mems.length} of ${res.total} memories in ${res.scope}` + (q ? ` (${res.matched} match “${q}”)` : "") + " at store commit ",
      h("code", { title: res.commit || "" }, shortSha(res.commit) || "(empty)"),
    ),
  );
  if (!mems.length) {
    container.append(h("p", { class: "empty" }, "No memories."));
    return;
  }
  const list = h(
    "ol",
    { class: "memory-list" },
    mems.map((m) =>
      h(
        "li",
        { class: "memory card" + (q && !m.match ? " no-match" : ""), "data-memory": m.id },
        h(
          "div",
          { class: "memory-head" },
          h("a", { href: `#/memory/${encodeURIComponent(m.id)}?scope=${encodeURIComponent(res.scope)}`, "data-nav-item": true }, m.id),
          " ",
          h("span", { class: "path" }, m.path),
        ),
        h("p", { class: "memory-text" }, textWithMarks(m.text)),
        h(
          "p",
          { class: "meta" },
          "updated ",
          time(m.updated, age(m.updated)),
          ` · ${m.sources} source event${m.sources === 1 ? "" : "s"} · ~${m.tokens} tokens`,
          (m.tags || []).length ? [" · ", m.tags.map((t) => h("span", { class: "tag" }, t))] : null,
          q ? (m.match ? ` · matched (rank ${Number(m.rank).toFixed(3)})` : " · no match") : null,
        ),
      ),
    ),
  );
  container.append(list);
  setKeys(listKeys(list, "[data-nav-item]"));
}

export async function renderMemory({ container, params, setKeys, isCurrent }, id) {
  const result = h("div", { id: "memory-result", class: "result", "aria-live": "polite", tabindex: "-1" });
  const body = h("div");
  const scopeHint = params.get("scope") || "";
  container.append(
    h("p", { class: "crumbs" }, h("a", { href: scopeHint ? `#/memories?scope=${encodeURIComponent(scopeHint)}` : "#/memories" }, "← Memories")),
    h("h1", null, "Memory ", h("code", null, id)),
    result,
    body,
  );

  async function revert(c) {
    const ok = await confirmDialog(
      `Revert commit ${shortSha(c.commit)}?`,
      `A new store commit will undo “${c.subject}” (${c.paths.length} path${c.paths.length === 1 ? "" : "s"}: ${c.paths.map((p) => p.path).join(", ")}), authored by ${state.me.principal}. Agents get the memories as they were before it.`,
      "Revert",
      "danger",
    );
    if (!ok) return;
    try {
      const res = await api.revert(c.commit);
      clear(result).append(
        h(
          "div",
          { class: "ok-block", "data-testid": "revert-result" },
          h("strong", null, `Reverted ${shortSha(res.reverts || c.commit)}.`),
          " New store commit ",
          h("code", { class: "sha", "data-commit": res.commit }, res.commit),
          ".",
        ),
      );
    } catch (e) {
      const block = errorBlock(e, `Reverting ${shortSha(c.commit)}`);
      if (e.status === 409)
        block.append(h("p", { class: "what-to-do" }, "A later commit changed the same memory, so this one cannot be undone on its own. Revert the later commit first (newest first), or edit the memory through a new reviewed diff."));
      clear(result).append(block);
    }
    result.focus();
    await load();
  }

  async function load() {
    const hist = await api.history(id);
    if (!isCurrent()) return;
    let current = null;
    try {
      const all = await api.memories(hist.scope);
      current = (all.memories || []).find((m) => m.id === id) || null;
    } catch {
      current = undefined;
    }
    if (!isCurrent()) return;
    clear(body);
    body.append(
      h("p", { class: "meta" }, "scope ", h("span", { class: "scope" }, hist.scope), current ? [" · ", h("span", { class: "path" }, current.path)] : null),
      h(
        "section",
        { class: "card", "aria-labelledby": "now-title" },
        h("h2", { id: "now-title" }, "Now in the store"),
        current
          ? h("p", { class: "memory-text", "data-testid": "memory-now" }, textWithMarks(current.text))
          : h("p", { class: "muted", "data-testid": "memory-now" }, current === null ? "Not in the store now: deleted or reverted." : "Could not read the current text."),
      ),
      h("h2", null, `History: ${hist.commits.length} commit${hist.commits.length === 1 ? "" : "s"}, newest first`),
    );
    const ol = h(
      "ol",
      { class: "history" },
      hist.commits.map((c) =>
        h(
          "li",
          { class: "commit card", "data-commit": c.commit, tabindex: "-1" },
          h(
            "div",
            { class: "commit-head" },
            h("code", { class: "sha", title: c.commit }, shortSha(c.commit)),
            " ",
            h("strong", { class: "subject" }, c.subject),
          ),
          h("p", { class: "meta" }, "by ", h("span", { class: "author" }, c.author), " ", time(c.date, age(c.date))),
          (c.trailers || []).length
            ? h(
                "dl",
                { class: "trailers" },
                c.trailers.map((t) => [
                  h("dt", null, t.key),
                  h(
                    "dd",
                    null,
                    t.key === "Evidence" ? h("code", null, t.value) : t.key === "Diff-Id" && /^\d+$/.test(t.value) ? h("a", { href: "#/diff/" + t.value }, t.value) : t.value,
                  ),
                ]),
              )
            : null,
          h(
            "ul",
            { class: "paths" },
            (c.paths || []).map((p) => h("li", null, h("span", { class: "badge path-" + p.status }, { A: "added", M: "modified", D: "deleted" }[p.status] || p.status), " ", h("span", { class: "path" }, p.path))),
          ),
          canDecide() ? h("div", { class: "actions" }, h("button", { type: "button", class: "danger", "data-action": "revert", on: { click: () => revert(c) } }, "Revert this commit…")) : null,
        ),
      ),
    );
    body.append(ol);
    setKeys(listKeys(ol, "li.commit"));
  }
  await load();
}
