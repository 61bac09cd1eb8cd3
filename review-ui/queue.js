// The queue: diffs waiting for review, filtered by scope, state and "mine".
import { api } from "./api.js";
import { state, h, append, clear, time, listKeys, canSeeDiffs, confirmDialog, errorBlock } from "./ui.js";
import { age } from "./text.js";

const STATES = [
  ["open", "open (pending or partly approved)"],
  ["pending", "pending"],
  ["partially_approved", "partially approved"],
  ["approved", "approved"],
  ["rejected", "rejected"],
  ["conflicted", "conflicted"],
  ["superseded", "superseded"],
  ["all", "all"],
];

export async function renderQueue({ container, params, setKeys, isCurrent }) {
  if (!canSeeDiffs()) {
    container.append(
      h("h1", null, "Review queue"),
      h("p", null, `The role ${state.me.role} does not review diffs. Use the memory browser instead.`),
    );
    return;
  }
  const scope = params.get("scope") || "";
  const st = params.get("state") || "open";
  const mine = params.get("mine") === "1";

  const scopeSel = h(
    "select",
    { id: "f-scope", name: "scope" },
    h("option", { value: "" }, "all my scopes"),
    state.scopes.map((s) => h("option", { value: s, selected: s === scope }, s)),
  );
  if (scope && !state.scopes.includes(scope)) scopeSel.append(h("option", { value: scope, selected: true }, scope));
  const stateSel = h(
    "select",
    { id: "f-state", name: "state" },
    STATES.map(([v, label]) => h("option", { value: v, selected: v === st }, label)),
  );
  const mineBox = h("input", { id: "f-mine", name: "mine", type: "checkbox", checked: mine });
  const apply = () => {
    const q = new URLSearchParams();
    if (scopeSel.value) q.set("scope", scopeSel.value);
    if (stateSel.value !== "open") q.set("state", stateSel.value);
    if (mineBox.checked) q.set("mine", "1");
    const s = q.toString();
    location.hash = "#/queue" + (s ? "?" + s : "");
  };
  for (const el of [scopeSel, stateSel, mineBox]) el.addEventListener("change", apply);

  const filters = h(
    "form",
    { class: "filters", "aria-label": "Filter the queue", on: { submit: (e) => (e.preventDefault(), apply()) } },
    h("label", { for: "f-scope" }, "Scope"),
    scopeSel,
    h("label", { for: "f-state" }, "State"),
    stateSel,
    h("span", { class: "check" }, mineBox, h("label", { for: "f-mine" }, "Only diffs I can decide")),
  );
  const listBox = h("div");
  const dreamBox = h("div", { class: "result", "aria-live": "polite", tabindex: "-1", "data-testid": "dream-result" });
  append(container, [h("h1", null, "Review queue"), filters, state.me.role === "admin" ? dreamBar(dreamBox, () => loadList()) : null, dreamBox, listBox]);

  async function loadList() {
    const res = await api.diffs({ scope, state: st, mine: mine ? 1 : undefined });
    if (!isCurrent()) return;
    clear(listBox);
    renderList(listBox, res.diffs || []);
  }

  function renderList(container, diffs) {
    const caption = `${diffs.length} diff${diffs.length === 1 ? "" : "s"}` + (scope ? ` in ${scope}` : "") + (mine ? " that you can decide" : "");
    if (!diffs.length) {
      container.append(h("p", { class: "empty", "data-testid": "queue-empty" }, `No diffs (${st}${scope ? ", scope " + scope : ""}${mine ? ", mine" : ""}).`));
      return;
    }
    const now = Date.now();
    const table = h(
      "table",
      { class: "queue", "data-testid": "queue" },
      h("caption", null, caption),
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          ["Diff", "Scope", "State", "Age", "Hunks pending", "Blocked", "Owners", "Updated"].map((c) => h("th", { scope: "col" }, c)),
        ),
      ),
      h(
        "tbody",
        null,
        diffs.map((d) =>
          h(
            "tr",
            { "data-diff": String(d.id), class: d.blocked ? "has-blocked" : "" },
            h("td", null, h("a", { href: "#/diff/" + d.id, "data-nav-item": true }, "#" + d.id)),
            h("td", null, h("span", { class: "scope" }, d.scope)),
            h("td", null, h("span", { class: "badge state-" + d.state }, d.state.replace(/_/g, " "))),
            h("td", null, time(d.created_at, age(d.created_at, now))),
            h("td", { class: "num" }, `${d.pending} of ${d.hunks}`),
            h("td", { class: "num" + (d.blocked ? " blocked-count" : "") }, d.blocked ? `${d.blocked} blocked` : "0"),
            h("td", null, (d.owners || []).join(", ") || "no owner"),
            h("td", null, time(d.updated_at, age(d.updated_at, now))),
          ),
        ),
      ),
    );
    container.append(table);
    setKeys(listKeys(table, "[data-nav-item]"));
  }

  await loadList();
}

// Admins can run a dreaming pass from here (POST /v1/dream): after a
// conflict, this is how a fresh proposal against the current store is made.
function dreamBar(out, reload) {
  const scopeIn = h("input", { id: "d-scope", name: "scope", list: "d-scopes", autocomplete: "off", size: "14", placeholder: "every scope" });
  return h(
    "form",
    {
      class: "filters",
      "aria-label": "Run a dreaming pass",
      on: {
        submit: async (ev) => {
          ev.preventDefault();
          const scope = scopeIn.value.trim();
          const ok = await confirmDialog(
            "Run a dreaming pass?",
            `Reads the events that arrived since the last pass${scope ? " in scope " + scope : ""} and proposes new diffs for review.`,
            "Run",
          );
          if (!ok) return;
          clear(out);
          try {
            const r = await api.dream(scope || undefined);
            out.append(
              h(
                "div",
                { class: "ok-block" },
                r.run
                  ? `Dreaming run ${r.run}: read ${r.events} new events in ${r.scopes} scope${r.scopes === 1 ? "" : "s"}; proposed ${r.diffs} diff${r.diffs === 1 ? "" : "s"} (${r.hunks} hunks, ${r.blocked} blocked).`
                  : "No new events since the last pass: nothing to propose.",
              ),
            );
          } catch (e) {
            out.append(errorBlock(e, "The dreaming pass"));
          }
          out.focus();
          await reload();
        },
      },
    },
    h("label", { for: "d-scope" }, "Dreaming pass for"),
    scopeIn,
    h("datalist", { id: "d-scopes" }, state.scopes.map((s) => h("option", { value: s }))),
    h("button", { type: "submit", "data-action": "dream" }, "Run a dreaming pass…"),
  );
}
