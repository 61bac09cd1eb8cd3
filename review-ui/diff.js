// One diff, reviewed like a code review: each hunk's change against the
// memory as it is in the store now, its rationale, confidence, rule findings
// marked on the (already redacted) text, its evidence, and the decisions.
import { api } from "./api.js";
import { state, h, append, clear, time, notify, errorBlock, dialog, confirmDialog, canDecide } from "./ui.js";
import { markText, segmentLines, lineDiff, sideBySide, placeFindings, shortSha, age, splitTextLines } from "./text.js";

const MODE_KEY = "curator.diffmode";

function modeNow() {
  return sessionStorage.getItem(MODE_KEY) === "split" ? "split" : "unified";
}

// Renders a line's segments: findings and redaction markers as <mark>.
function lineContent(segs) {
  if (!segs || !segs.length) return [h("span", { class: "empty-line" }, "")];
  return segs.map((s) => {
    if (!s.mark) return s.text;
    if (s.mark.kind === "finding") {
      const f = s.mark.finding;
      return h(
        "mark",
        {
          class: `finding action-${f.action} family-${f.family || "other"}`,
          title: `${f.rule} (${f.family || "rule"}, ${f.action})`,
          "data-rule": f.rule,
        },
        s.text,
        h("span", { class: "sr-only" }, ` [finding: ${f.rule}, ${f.action}]`),
      );
    }
    return h("mark", { class: "redacted", title: `redacted by rule ${s.mark.rule}`, "data-rule": s.mark.rule }, s.text);
  });
}

function diffTable(hunk, mode) {
  const isDelete = hunk.op === "delete";
  const newText = isDelete ? null : hunk.new_text;
  const oldLines = splitTextLines(hunk.old_text).map((l) => markText(l, []));
  const newLines = newText === null ? [] : segmentLines(markText(newText, hunk.findings));
  const rows = lineDiff(hunk.old_text, newText);
  const label = `Changes to ${hunk.path}`;
  if (mode === "split") {
    return h(
      "table",
      { class: "diff split", "aria-label": label + " (side by side)" },
      h("colgroup", null, h("col", { class: "c-ln" }), h("col"), h("col", { class: "c-ln" }), h("col")),
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          h("th", { scope: "col", class: "ln" }, h("span", { class: "sr-only" }, "old line")),
          h("th", { scope: "col" }, hunk.old_text === null ? "now: (no memory)" : "now in the store"),
          h("th", { scope: "col", class: "ln" }, h("span", { class: "sr-only" }, "new line")),
          h("th", { scope: "col" }, isDelete ? "proposed: (deleted)" : "proposed"),
        ),
      ),
      h(
        "tbody",
        null,
        sideBySide(rows).map(({ left, right }) => {
          const same = left && right && left.op === " ";
          return h(
            "tr",
            null,
            h("td", { class: "ln" }, left ? String(left.oldNo) : ""),
            h("td", { class: "code " + (left ? (same ? "ctx" : "del") : "none") }, left ? lineContent(oldLines[left.oldIdx]) : ""),
            h("td", { class: "ln" }, right ? String(right.newNo) : ""),
            h("td", { class: "code " + (right ? (same ? "ctx" : "add") : "none") }, right ? lineContent(newLines[right.newIdx]) : ""),
          );
        }),
      ),
    );
  }
  return h(
    "table",
    { class: "diff unified", "aria-label": label + " (unified)" },
    h("colgroup", null, h("col", { class: "c-ln" }), h("col", { class: "c-ln" }), h("col", { class: "c-sign" }), h("col")),
    h(
      "tbody",
      null,
      rows.map((r) =>
        h(
          "tr",
          { class: r.op === "+" ? "add" : r.op === "-" ? "del" : "ctx" },
          h("td", { class: "ln" }, r.oldNo ? String(r.oldNo) : ""),
          h("td", { class: "ln" }, r.newNo ? String(r.newNo) : ""),
          h("td", { class: "sign", "aria-label": r.op === "+" ? "added" : r.op === "-" ? "removed" : "unchanged" }, r.op),
          h("td", { class: "code" }, r.op === "-" ? lineContent(oldLines[r.oldIdx]) : lineContent(newLines[r.newIdx])),
        ),
      ),
    ),
  );
}

function findingsList(hunk) {
  const placed = placeFindings(hunk.new_text || "", hunk.findings);
  const markers = [...(hunk.new_text || "").matchAll(/\[REDACTED:([A-Za-z0-9._-]+)\]/g)].map((m) => m[1]);
  if (!placed.length && !markers.length) return null;
  const items = placed.map((p) =>
    h(
      "li",
      { class: `finding-item action-${p.finding.action}` },
      h("code", null, p.finding.rule),
      ` ${p.finding.family || ""} · ${p.finding.action} · bytes ${p.finding.start}–${p.finding.end}`,
      p.placed ? " (marked below)" : " (its place in the text could not be confirmed)",
    ),
  );
  const explained = new Set(placed.map((p) => p.finding.rule));
  for (const rule of markers)
    if (!explained.has(rule)) items.push(h("li", { class: "finding-item redacted-item" }, h("code", null, rule), " · redacted before dreaming (at ingest)"));
  return h("div", { class: "findings" }, h("h3", null, "Rule findings"), h("ul", null, items));
}

function evidenceBlock(hunk) {
  const ev = hunk.evidence || [];
  return h(
    "details",
    { class: "evidence", "data-evidence": String(hunk.idx) },
    h("summary", null, `Evidence: ${ev.length} source event${ev.length === 1 ? "" : "s"}`),
    ev.length
      ? h(
          "ol",
          null,
          ev.map((e) =>
            h(
              "li",
              { class: "event" },
              h(
                "div",
                { class: "event-meta" },
                e.missing
                  ? h("span", { class: "badge state-rejected" }, "event no longer stored (purged)")
                  : [h("span", { class: "badge" }, e.role || e.type || "event"), " ", e.time ? time(e.time) : ""],
                " ",
                h("span", { class: "muted" }, "session "),
                h("code", { title: e.session || "" }, e.session || (e.ref || "").split("/")[0]),
                h("span", { class: "muted" }, " event "),
                h("code", { title: e.event || "" }, e.event || (e.ref || "").split("/")[1] || ""),
              ),
              e.tool ? h("div", { class: "event-tool" }, h("span", { class: "muted" }, "tool "), h("code", null, e.tool), e.tool_input ? h("pre", { class: "tool-input" }, e.tool_input) : null) : null,
              e.text ? h("pre", { class: "event-text" }, lineContent(markText(e.text, []))) : null,
              e.truncated ? h("p", { class: "muted" }, "(text cut at 600 bytes)") : null,
            ),
          ),
        )
      : h("p", { class: "muted" }, "No evidence recorded."),
  );
}

function decisionLine(hunk) {
  if (hunk.state === "pending") return null;
  const parts = [h("strong", null, hunk.state.replace(/_/g, " ")), " by ", hunk.decided_by || "?"];
  if (hunk.decided_at) parts.push(" ", time(hunk.decided_at, age(hunk.decided_at)));
  if (hunk.commit) parts.push(" in store commit ", h("code", { class: "sha", title: hunk.commit, "data-commit": hunk.commit }, shortSha(hunk.commit)));
  if (hunk.reason) parts.push(h("span", { class: "reason" }, " — reason: ", h("q", null, hunk.reason)));
  return h("p", { class: "decision state-" + hunk.state }, parts);
}

export async function renderDiff(ctx, id) {
  const { container, setKeys, isCurrent } = ctx;
  const head = h("div", { class: "diff-head" });
  const result = h("div", { id: "diff-result", class: "result", "aria-live": "polite", tabindex: "-1" });
  const list = h("div", { class: "hunks" });
  container.append(h("p", { class: "crumbs" }, h("a", { href: "#/queue" }, "← Queue")), head, result, list);
  let diff = null;
  let mode = modeNow();

  function showResult(node) {
    clear(result).append(node);
    result.focus();
  }

  async function decide(kind, hunks, edits) {
    const nums = hunks.join(", ");
    let reason = null;
    if (kind === "approve") {
      const edited = edits && edits.length ? " with your edited text" : "";
      const ok = await confirmDialog(
        `Approve hunk${hunks.length > 1 ? "s" : ""} ${nums}?`,
        `Hunk${hunks.length > 1 ? "s" : ""} ${nums} of diff #${diff.id} (${diff.scope}) will be committed to the store${edited}, authored by ${state.me.principal}.`,
        "Approve",
        "primary",
      );
      if (!ok) return;
    } else {
      const form = await dialog({
        title: `Reject hunk${hunks.length > 1 ? "s" : ""} ${nums}?`,
        okLabel: "Reject",
        okClass: "danger",
        body: () => [
          h("p", null, `Rejected hunks of diff #${diff.id} never reach the store. Say why, for the record and for the next dreaming pass.`),
          h("label", { for: "reject-reason" }, "Reason (required)"),
          h("textarea", { id: "reject-reason", name: "reason", rows: "3", required: true }),
        ],
        validate: (f) => (f.elements.reason.value.trim() ? "" : "A rejection needs a reason."),
      });
      if (!form) return;
      reason = form.elements.reason.value.trim();
    }
    clear(result);
    try {
      if (kind === "approve") {
        const res = await api.approve(diff.id, hunks, edits);
        showResult(
          h(
            "div",
            { class: "ok-block", "data-testid": "approve-result" },
            h("strong", null, `Approved hunk${hunks.length > 1 ? "s" : ""} ${nums}.`),
            " Store commit ",
            h("code", { class: "sha", "data-commit": res.commit }, res.commit),
            ` by ${res.approved_by || state.me.principal}.`,
          ),
        );
      } else {
        await api.reject(diff.id, hunks, reason);
        showResult(h("div", { class: "ok-block", "data-testid": "reject-result" }, h("strong", null, `Rejected hunk${hunks.length > 1 ? "s" : ""} ${nums}`), ` — reason: “${reason}”.`));
      }
    } catch (e) {
      const block = errorBlock(e, kind === "approve" ? `Approving hunk ${nums}` : `Rejecting hunk ${nums}`);
      if (e.status === 409) {
        block.append(
          h(
            "p",
            { class: "what-to-do" },
            "What happened: a memory this diff changes moved in the store after the diff was proposed (someone approved or reverted something), so approving it now could overwrite that change. The diff is now marked conflicted and cannot be approved. What to do: open the memory's history to see what moved it; then have a new dreaming pass propose against the current store (an admin uses “Run a dreaming pass” on the queue, or “curator dream”), and review that diff instead.",
          ),
        );
      } else if (e.status === 403) {
        block.append(h("p", { class: "what-to-do" }, "Nothing was committed. The server decides who may approve what (OWNERS, scopes, the rules); this page only asks."));
      }
      showResult(block);
    }
    await load(true);
  }

  // Only an open diff's pending hunks can be decided.
  const isOpen = () => diff.state === "pending" || diff.state === "partially_approved";

  function hunkActions(hunk) {
    if (hunk.state !== "pending") return null;
    if (!isOpen())
      return h("p", { class: "hint" }, `This diff is ${diff.state.replace(/_/g, " ")}: its hunks can no longer be decided.`);
    const mayDecide = canDecide();
    const blockedNote = hunk.blocked
      ? h(
          "p",
          { class: "blocked-note", id: `hunk-${hunk.idx}-blocked` },
          h("strong", null, "Blocked by the rules: "),
          "this hunk cannot be approved. ",
          (hunk.findings || []).filter((f) => f.action === "block").length
            ? "Blocking findings: " + hunk.findings.filter((f) => f.action === "block").map((f) => f.rule).join(", ") + ". "
            : "",
          "No one can approve it, edited or not: reject it with a reason.",
        )
      : null;
    const approve = h(
      "button",
      {
        type: "button",
        class: "primary",
        "data-action": "approve",
        disabled: hunk.blocked || !mayDecide,
        "aria-describedby": hunk.blocked ? `hunk-${hunk.idx}-blocked` : undefined,
        // The server is the authority: a click that gets through (a forced
        // button) is sent, and its refusal shown.
        on: { click: () => decide("approve", [hunk.idx]) },
      },
      hunk.blocked ? "Approve (blocked)" : "Approve",
    );
    const editArea = h("textarea", { id: `edit-${hunk.idx}`, rows: String(Math.min(12, Math.max(3, (hunk.new_text || "").split("\n").length + 1))), value: hunk.new_text || "" });
    const editPanel = h(
      "div",
      { class: "edit-panel", hidden: true },
      h("label", { for: `edit-${hunk.idx}` }, `Text to approve for hunk ${hunk.idx}`),
      editArea,
      h("p", { class: "hint" }, "The server scans the edited text with the rules again: a blocking finding refuses it, a redacting one is masked."),
      h(
        "div",
        { class: "actions" },
        h("button", { type: "button", class: "primary", "data-action": "approve-edited", disabled: !mayDecide, on: { click: () => decide("approve", [hunk.idx], [{ idx: hunk.idx, text: editArea.value }]) } }, "Approve this text"),
        h("button", { type: "button", on: { click: () => ((editPanel.hidden = true), editBtn.focus()) } }, "Cancel edit"),
      ),
    );
    const editBtn = h(
      "button",
      {
        type: "button",
        "data-action": "edit",
        disabled: !mayDecide || hunk.op === "delete" || hunk.blocked,
        "aria-expanded": "false",
        on: {
          click: () => {
            editPanel.hidden = !editPanel.hidden;
            editBtn.setAttribute("aria-expanded", String(!editPanel.hidden));
            if (!editPanel.hidden) editArea.focus();
          },
        },
      },
      "Edit…",
    );
    const reject = h("button", { type: "button", class: "danger", "data-action": "reject", disabled: !mayDecide, on: { click: () => decide("reject", [hunk.idx]) } }, "Reject…");
    return [
      blockedNote,
      h("div", { class: "actions" }, approve, editBtn, reject, mayDecide ? null : h("span", { class: "hint" }, `Your role (${state.me.role}) can read diffs; owners and admins decide them.`)),
      editPanel,
    ];
  }

  function hunkView(hunk, total) {
    const conf = Number(hunk.confidence) || 0;
    const memLink =
      hunk.op !== "add" || hunk.state === "approved"
        ? h("a", { href: `#/memory/${encodeURIComponent(hunk.memory_id)}?scope=${encodeURIComponent(diff.scope)}` }, hunk.memory_id)
        : h("code", null, hunk.memory_id);
    return h(
      "article",
      {
        class: `hunk state-${hunk.state}` + (hunk.blocked ? " is-blocked" : ""),
        id: `hunk-${hunk.idx}`,
        tabindex: "-1",
        "data-hunk": String(hunk.idx),
        "data-state": hunk.state,
        "data-blocked": hunk.blocked ? "1" : "0",
        "aria-labelledby": `hunk-${hunk.idx}-title`,
      },
      h(
        "header",
        { class: "hunk-head" },
        h("h2", { id: `hunk-${hunk.idx}-title` }, `Hunk ${hunk.idx} of ${total} · `, h("span", { class: "op op-" + hunk.op }, hunk.op), " ", h("span", { class: "path" }, hunk.path)),
        h(
          "div",
          { class: "badges" },
          h("span", { class: "badge state-" + hunk.state }, hunk.state),
          hunk.blocked ? h("span", { class: "badge blocked" }, "BLOCKED") : null,
          h("span", { class: "confidence", title: "the dreamer's confidence" }, "confidence ", h("meter", { min: "0", max: "1", value: String(conf), "aria-label": "confidence" }), ` ${conf.toFixed(2)}`),
        ),
      ),
      h("p", { class: "rationale" }, h("span", { class: "muted" }, "Why: "), hunk.rationale || "(no rationale given)"),
      h(
        "p",
        { class: "meta" },
        h("span", { class: "muted" }, "memory "),
        memLink,
        h("span", { class: "muted" }, " · owners "),
        (hunk.owners || []).join(", ") || "none",
        (hunk.tags || []).length ? [h("span", { class: "muted" }, " · tags "), hunk.tags.map((t) => h("span", { class: "tag" }, t))] : null,
      ),
      hunk.memory_gone ? h("p", { class: "warn" }, "This memory is no longer in the store (deleted or reverted since the diff was proposed).") : null,
      findingsList(hunk),
      diffTable(hunk, mode),
      h("details", { class: "raw-diff" }, h("summary", null, "Unified diff as text"), h("pre", null, hunk.diff || "")),
      evidenceBlock(hunk),
      decisionLine(hunk),
      hunkActions(hunk),
    );
  }

  function bulkBar() {
    const pending = diff.hunks.filter((x) => x.state === "pending");
    const approvable = pending.filter((x) => !x.blocked);
    const mayDecide = canDecide() && isOpen();
    const modeBtn = h(
      "button",
      {
        type: "button",
        "aria-pressed": mode === "split" ? "true" : "false",
        "data-action": "toggle-mode",
        on: { click: () => toggleMode() },
      },
      "Side by side",
    );
    return h(
      "div",
      { class: "toolbar", role: "toolbar", "aria-label": "Whole diff" },
      modeBtn,
      h(
        "button",
        {
          type: "button",
          class: "primary",
          "data-action": "approve-all",
          disabled: !mayDecide || !approvable.length,
          on: { click: () => decide("approve", approvable.map((x) => x.idx)) },
        },
        `Approve all approvable (${approvable.length})`,
      ),
      h(
        "button",
        { type: "button", class: "danger", "data-action": "reject-all", disabled: !mayDecide || !pending.length, on: { click: () => decide("reject", pending.map((x) => x.idx)) } },
        `Reject all pending (${pending.length})…`,
      ),
      pending.length !== approvable.length ? h("span", { class: "hint" }, `${pending.length - approvable.length} blocked hunk(s) are left out of “approve all”.`) : null,
    );
  }

  function renderHead() {
    clear(head);
    const sup = diff.superseded_by ? h("p", { class: "warn" }, "Superseded by ", h("a", { href: "#/diff/" + diff.superseded_by }, "diff #" + diff.superseded_by), ": review that one instead.") : null;
    const conflict =
      diff.state === "conflicted"
        ? h(
            "div",
            { class: "error-block", role: "note" },
            h("strong", null, "This diff is conflicted."),
            h(
              "p",
              null,
              `A memory it changes moved in the store after it was proposed against ${shortSha(diff.base_commit)}. It can no longer be approved; the next dreaming pass proposes against the current store. Check the memory's history, then review the new diff.`,
            ),
          )
        : null;
    append(head, [
      h("h1", null, `Diff #${diff.id} `, h("span", { class: "scope" }, diff.scope)),
      h(
        "dl",
        { class: "facts" },
        h("dt", null, "state"),
        h("dd", null, h("span", { class: "badge state-" + diff.state }, diff.state.replace(/_/g, " "))),
        h("dt", null, "proposed"),
        h("dd", null, time(diff.created_at, age(diff.created_at)), ` by ${diff.source || "?"}${diff.run ? " run " + diff.run : ""}`),
        h("dt", null, "against"),
        h("dd", null, h("code", { title: diff.base_commit || "" }, shortSha(diff.base_commit) || "(empty store)")),
        h("dt", null, "hunks"),
        h("dd", null, `${diff.hunks.length} · ${diff.pending} pending · `, h("span", { class: diff.blocked ? "blocked-count" : "" }, `${diff.blocked} blocked`)),
      ),
      sup,
      conflict,
      bulkBar(),
    ]);
  }

  function renderHunks() {
    clear(list);
    for (const hk of diff.hunks) list.append(hunkView(hk, diff.hunks.length));
  }

  function toggleMode() {
    mode = mode === "split" ? "unified" : "split";
    sessionStorage.setItem(MODE_KEY, mode);
    const focused = currentHunk();
    renderHead();
    renderHunks();
    const again = focused && list.querySelector(`[data-hunk="${focused.dataset.hunk}"]`);
    if (again) again.focus();
    else head.querySelector("[data-action=toggle-mode]").focus();
  }

  function currentHunk() {
    const a = document.activeElement;
    return a && a.closest ? a.closest("article.hunk") : null;
  }

  async function load(keepFocus) {
    const focused = keepFocus ? currentHunk() : null;
    const d = await api.diff(id);
    if (!isCurrent()) return;
    diff = d;
    renderHead();
    renderHunks();
    if (focused) {
      const again = list.querySelector(`[data-hunk="${focused.dataset.hunk}"]`);
      if (again && !result.contains(document.activeElement)) again.focus();
    }
  }

  await load(false);
  notify(`Diff #${diff.id}: ${diff.pending} pending, ${diff.blocked} blocked. j/k move between hunks, a approves, r rejects.`);

  setKeys((ev) => {
    const hunks = [...list.querySelectorAll("article.hunk")];
    let cur = currentHunk();
    if (ev.key === "j" || ev.key === "k") {
      if (!hunks.length) return false;
      let i = cur ? hunks.indexOf(cur) : -1;
      i = ev.key === "j" ? i + 1 : i < 0 ? hunks.length - 1 : i - 1;
      i = Math.max(0, Math.min(hunks.length - 1, i));
      hunks[i].focus();
      hunks[i].scrollIntoView({ block: "start" });
      return true;
    }
    if (ev.key === "v") {
      toggleMode();
      return true;
    }
    if (!cur) cur = hunks.find((x) => x.dataset.state === "pending") || null;
    if (!cur) return false;
    const btn = (name) => cur.querySelector(`[data-action=${name}]`);
    if (ev.key === "a" || ev.key === "r" || ev.key === "e") {
      const b = btn({ a: "approve", r: "reject", e: "edit" }[ev.key]);
      if (!b) {
        notify(`Hunk ${cur.dataset.hunk} is ${cur.dataset.state}: nothing to decide.`);
        return true;
      }
      if (b.disabled) {
        notify(
          ev.key === "a" && cur.dataset.blocked === "1" ? `Hunk ${cur.dataset.hunk} is blocked by the rules and cannot be approved.` : "You cannot do that here.",
          "error",
        );
        return true;
      }
      b.click();
      return true;
    }
    if (ev.key === "o") {
      const d = cur.querySelector("details.evidence");
      d.open = !d.open;
      return true;
    }
    return false;
  });
}
