// For compliance and admin principals: the retention view (what expires when,
// legal holds, as far as the API reports them) and the audit log with its
// hash-chain verification.
import { api } from "./api.js";
import { state, h, append, clear, time, errorBlock, listKeys, isCompliance } from "./ui.js";
import { shortSha, age } from "./text.js";

const PAGE = 50;

function needsCompliance(container, what) {
  if (isCompliance()) return false;
  container.append(h("h1", null, what), h("p", null, `The ${what.toLowerCase()} is for compliance and admin principals; you are ${state.me.role}.`));
  return true;
}

export async function renderRetention({ container, params, isCurrent }) {
  if (needsCompliance(container, "Retention")) return;
  const extra = params.get("scope");
  const scopes = [...new Set([...state.scopes, ...(extra ? [extra] : [])])].sort();
  const scopeIn = h("input", { id: "r-scope", name: "scope", list: "r-scopes", autocomplete: "off", size: "16" });
  container.append(
    h("h1", null, "Retention"),
    h(
      "form",
      {
        class: "filters",
        "aria-label": "Add a scope",
        on: {
          submit: (ev) => {
            ev.preventDefault();
            if (scopeIn.value.trim()) location.hash = "#/retention?scope=" + encodeURIComponent(scopeIn.value.trim());
          },
        },
      },
      h("label", { for: "r-scope" }, "Show another scope"),
      scopeIn,
      h("datalist", { id: "r-scopes" }, state.scopes.map((s) => h("option", { value: s }))),
      h("button", { type: "submit" }, "Show"),
    ),
  );
  const note = h("div", { class: "note", "data-testid": "retention-note" });
  container.append(note);
  let reported = false;
  const now = Date.now();
  for (const scope of scopes) {
    let res;
    try {
      res = await api.memories(scope);
    } catch (e) {
      container.append(h("h2", null, scope), errorBlock(e, `Reading ${scope}`));
      continue;
    }
    if (!isCurrent()) return;
    const mems = res.memories || [];
    reported ||= mems.some((m) => "expires" in m || "legal_hold" in m);
    const rows = [...mems].sort((a, b) => String(a.expires || "~").localeCompare(String(b.expires || "~")));
    container.append(
      h(
        "section",
        { class: "card", "aria-labelledby": `ret-${scope}` },
        h("h2", { id: `ret-${scope}` }, h("span", { class: "scope" }, scope), ` · ${mems.length} memories at `, h("code", { title: res.commit || "" }, shortSha(res.commit) || "(empty)")),
        mems.length
          ? h(
              "table",
              { class: "retention" },
              h(
                "thead",
                null,
                h("tr", null, ["Memory", "Class", "Updated", "Expires", "Legal hold"].map((c) => h("th", { scope: "col" }, c))),
              ),
              h(
                "tbody",
                null,
                rows.map((m) => {
                  const exp = m.expires;
                  const expired = exp && exp !== "never" && Date.parse(exp) < now;
                  return h(
                    "tr",
                    { class: expired ? "expired" : "" },
                    h("td", null, h("a", { href: `#/memory/${encodeURIComponent(m.id)}?scope=${encodeURIComponent(scope)}` }, m.id), h("div", { class: "path" }, m.path)),
                    h("td", null, m.retention || "not reported"),
                    h("td", null, time(m.updated, age(m.updated, now))),
                    h("td", null, exp ? (exp === "never" ? "never" : [time(exp), expired ? " (past: due for purge)" : ""]) : "not reported"),
                    h("td", null, "legal_hold" in m ? (m.legal_hold ? h("strong", { class: "hold" }, "on hold") : "no") : "not reported"),
                  );
                }),
              ),
            )
          : h("p", { class: "empty" }, "No memories in this scope."),
      ),
    );
  }
  if (!scopes.length) container.append(h("p", { class: "empty" }, "No scopes known yet: type one above."));
  note.append(
    reported
      ? h("p", null, "Expiry and legal holds as the memories API reports them; memories past their expiry are due for the next purge, except those on hold.")
      : h(
          "p",
          null,
          h("strong", null, "The API does not report expiry or legal holds yet. "),
          "GET /v1/memories gives each memory's id, path, last update and tags, which are shown here; each memory file's front matter holds its retention class, expiry and legal hold (docs/MEMORY-FORMAT.md), and purges and holds are run with the curator command line for now. The columns fill in when the API reports these fields.",
        ),
  );
}

export async function renderAudit({ container, params, setKeys, isCurrent }) {
  if (needsCompliance(container, "Audit log")) return;
  const action = params.get("action") || "";
  const actor = params.get("actor") || "";
  const verdict = h("div", { class: "verdict", "data-testid": "audit-verdict" }, "Verifying the hash chain…");
  const actionIn = h("input", { id: "a-action", name: "action", value: action, size: "18", placeholder: "e.g. review.approve", "data-search": true });
  const actorIn = h("input", { id: "a-actor", name: "actor", value: actor, size: "12" });
  container.append(
    h("h1", null, "Audit log"),
    verdict,
    h(
      "form",
      {
        class: "filters",
        "aria-label": "Filter the audit log",
        on: {
          submit: (ev) => {
            ev.preventDefault();
            const p = new URLSearchParams();
            if (actionIn.value.trim()) p.set("action", actionIn.value.trim());
            if (actorIn.value.trim()) p.set("actor", actorIn.value.trim());
            location.hash = "#/audit" + (p.toString() ? "?" + p : "");
          },
        },
      },
      h("label", { for: "a-action" }, "Action"),
      actionIn,
      h("label", { for: "a-actor" }, "Actor"),
      actorIn,
      h("button", { type: "submit" }, "Filter"),
    ),
  );
  let v = null;
  try {
    v = await api.auditVerify();
  } catch (e) {
    clear(verdict).append(errorBlock(e, "Verifying the audit log"));
  }
  if (!isCurrent()) return;
  if (v) {
    clear(verdict);
    verdict.className = "verdict " + (v.intact ? "intact" : "broken");
    verdict.setAttribute("role", v.intact ? "status" : "alert");
    append(verdict, [
      v.intact
        ? h("strong", null, `Hash chain intact: ${v.rows} rows verified.`)
        : [h("strong", null, `Hash chain BROKEN at row ${v.broken_id}: `), v.reason || "", ` (${v.rows} rows read).`],
    ]);
  }
  // Unfiltered, the page opens on the newest rows; filtered, on the oldest.
  let after = params.has("after") ? Number(params.get("after")) : !action && !actor && v ? Math.max(0, v.rows - PAGE) : 0;
  if (!Number.isFinite(after) || after < 0) after = 0;
  const res = await api.audit({ after, limit: PAGE, action, actor });
  const rows = res.rows || [];
  if (!isCurrent()) return;
  const nav = (label, to, disabled) => {
    const p = new URLSearchParams();
    if (action) p.set("action", action);
    if (actor) p.set("actor", actor);
    p.set("after", String(to));
    return disabled ? h("span", { class: "muted" }, label) : h("a", { href: "#/audit?" + p, class: "button" }, label);
  };
  const table = h(
    "table",
    { class: "audit", "data-testid": "audit-table" },
    h("caption", null, rows.length ? `Rows ${rows[0].id}–${rows[rows.length - 1].id}` + (action || actor ? " (filtered)" : "") : "No rows here."),
    h("thead", null, h("tr", null, ["#", "At", "Actor", "Action", "Object", "Detail", "Hash"].map((c) => h("th", { scope: "col" }, c)))),
    h(
      "tbody",
      null,
      rows.map((r) =>
        h(
          "tr",
          { "data-row": String(r.id), tabindex: "-1", class: v && v.broken_id === r.id ? "broken" : "" },
          h("td", { class: "num" }, String(r.id)),
          h("td", null, time(r.at, r.at.replace("T", " ").replace(/\.\d+Z$/, "Z"))),
          h("td", null, r.actor),
          h("td", null, h("code", null, r.action)),
          h("td", { class: "object" }, r.object),
          h("td", { class: "detail" }, h("code", null, typeof r.detail === "string" ? r.detail : JSON.stringify(r.detail))),
          h("td", null, h("code", { title: `hash ${r.hash}\nprev ${r.prev_hash}` }, shortSha(r.hash))),
        ),
      ),
    ),
  );
  container.append(
    h("div", { class: "pager" }, nav("← Earlier rows", Math.max(0, after - PAGE), after === 0), " ", nav("Later rows →", res.next_after ?? after, res.next_after === null || (res.rows || []).length < PAGE)),
    table,
  );
  setKeys(listKeys(table, "tr[data-row]"));
}
