// The review UI in Debian's chromium, driven by playwright-core, against the
// real server and store tests/e2e/test_review_ui.sh set up. The steps run in
// order and share one page: each builds on what the one before did.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set: run this through tests/e2e/test_review_ui.sh`);
  return v;
};
const BASE = env("BASE_URL");
const SHOP = env("SHOP_DIFF");
const SUPPORT = env("SUPPORT_DIFF");
const BLOCKED = env("BLOCKED_IDX");
const HOME = env("CURATOR_HOME");
const SHOTS = env("SCREENSHOTS");
const STORE = path.join(HOME, "store.git");

const git = (...args) => execFileSync("git", ["-C", STORE, ...args], { encoding: "utf8" }).trim();
const sql = (q) => execFileSync("sqlite3", ["-batch", path.join(HOME, "curator.db"), q], { encoding: "utf8" }).trim();
const cur = (...args) => execFileSync(env("CURATOR"), args, { encoding: "utf8", env: { ...process.env, CURATOR_HOME: HOME } });

let browser;
let page;
let profile;
const pageErrors = [];

before(async () => {
  profile = mkdtempSync(path.join(tmpdir(), "curator-ui-chromium-"));
  // A fresh profile each run (the --user-data-dir of a persistent context).
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    viewport: { width: 1366, height: 768 },
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-quic",
      "--no-first-run",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  page = browser.pages()[0] || (await browser.newPage());
  page.setDefaultTimeout(15000);
  page.on("pageerror", (e) => pageErrors.push(e.message));
  // Nothing leaves loopback: any other host is refused and recorded.
  await page.route("**/*", (route) => {
    const u = new URL(route.request().url());
    if (u.hostname === "127.0.0.1" || u.protocol === "data:") return route.continue();
    pageErrors.push("request to another host: " + u.href);
    return route.abort();
  });
});

after(async () => {
  if (browser) await browser.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

async function signIn(token) {
  await page.goto(BASE + "/");
  await page.locator("#token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
}

async function confirm(label) {
  const dlg = page.locator("dialog[open]");
  await dlg.waitFor();
  await dlg.getByRole("button", { name: label }).click();
  await dlg.waitFor({ state: "detached" });
}

const hunk = (i) => page.locator(`article.hunk[data-hunk="${i}"]`);

test("a wrong token is refused, a right one signs in and stays in this tab only", async () => {
  await signIn("cur_not-a-token");
  await page.locator(".signin-error .error-block[data-status='401']").waitFor();
  assert.match(await page.locator(".signin-error").textContent(), /the token is not known/);
  await signIn(env("TOK_PRIYA"));
  await page.locator("[data-testid=queue]").waitFor();
  assert.equal(await page.locator("[data-testid=who-name]").textContent(), "priya");
  assert.equal(await page.locator("[data-testid=who-role]").textContent(), "owner");
  assert.equal(await page.evaluate(() => sessionStorage.getItem("curator.token")), env("TOK_PRIYA"));
  assert.equal(await page.evaluate(() => localStorage.length), 0);
  assert.equal(await page.locator("nav a[data-view=audit]").isVisible(), false, "owners get no audit view");
});

test("the queue lists the open diffs with scope, age, hunks, blocked count and owners", async () => {
  const rows = page.locator("[data-testid=queue] tbody tr");
  assert.equal(await rows.count(), 2);
  const shop = page.locator(`tr[data-diff="${SHOP}"]`);
  const cells = await shop.locator("td").allTextContents();
  const hunks = Number(sql(`select count(*) from hunks where diff_id=${SHOP}`));
  assert.deepEqual(cells.slice(0, 3), [`#${SHOP}`, "shop", "pending"]);
  assert.match(cells[3], /^\d+ (s|min) ago$/);
  assert.equal(cells[4], `${hunks} of ${hunks}`);
  assert.equal(cells[5], "1 blocked");
  assert.equal(cells[6], "@shop-team");
  assert.equal((await page.locator(`tr[data-diff="${SUPPORT}"] td`).allTextContents())[6], "sam");
  await page.screenshot({ path: path.join(SHOTS, "queue.png") });

  // The table is drawn again after each filter change: wait for the new one.
  const queueIs = (ids) =>
    page.waitForFunction(
      (want) => [...document.querySelectorAll("[data-testid=queue] tbody tr")].map((r) => r.dataset.diff).join(",") === want,
      ids.join(","),
    );
  await page.locator("#f-mine").check();
  await page.waitForFunction(() => location.hash.includes("mine=1"));
  await queueIs([SHOP]); // priya decides shop only
  await page.locator("#f-mine").uncheck();
  await page.locator("#f-scope").selectOption("support");
  await page.waitForFunction(() => location.hash.includes("scope=support"));
  await queueIs([SUPPORT]);
  await page.locator("#f-scope").selectOption("");
  await queueIs([SUPPORT, SHOP].sort((a, b) => b - a));
});

test("the diff view: findings on the right characters, markup shown as text, evidence, j/k", async () => {
  await page.locator(`a[href="#/diff/${SHOP}"]`).click();
  await hunk(1).waitFor();
  const n = Number(sql(`select count(*) from hunks where diff_id=${SHOP}`));
  assert.equal(await page.locator("article.hunk").count(), n);

  // The IP address's finding is given in bytes; the text before it has
  // multi-byte characters, so a character-indexed cut would be off.
  const ipIdx = sql(`select idx from hunks where diff_id=${SHOP} and new_text like '%93.184.216.34%'`);
  const marks = hunk(ipIdx).locator("table.diff mark.finding");
  assert.equal(await marks.count(), 1);
  assert.equal(await marks.first().getAttribute("data-rule"), "ipv4-address");
  assert.equal((await marks.first().textContent()).replace(/ \[finding.*\]$/, ""), "93.184.216.34");
  // Redaction markers from ingest are marked too.
  assert.ok((await hunk(BLOCKED).locator("mark.redacted").count()) >= 1);

  // Text that is markup stays text.
  const htmlIdx = sql(`select idx from hunks where diff_id=${SHOP} and new_text like '%<img src=x%'`);
  assert.ok(htmlIdx, "the markup lesson was proposed");
  assert.equal(await hunk(htmlIdx).locator("img, b").count(), 0);
  assert.match(await hunk(htmlIdx).locator("table.diff").textContent(), /<img src=x onerror="window.__pwned=1"><b>bold<\/b>/);
  await hunk(htmlIdx).locator("details.evidence summary").click();
  assert.match(await hunk(htmlIdx).locator(".event-text").textContent(), /<img src=x/);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);

  // Evidence: the source events with session and time.
  await hunk(1).locator("details.evidence summary").click();
  const ev = hunk(1).locator("details.evidence li.event").first();
  const ref = sql(`select json_extract(evidence, '$[0]') from hunks where diff_id=${SHOP} and idx=1`);
  const [session, event] = ref.split("/");
  assert.match(await ev.textContent(), new RegExp(`session ${session}`));
  assert.match(await ev.textContent(), new RegExp(`event ${event}`));
  const ts = sql(`select ts from events where session_id='${session}' and event_id='${event}'`);
  assert.equal(await ev.locator("time").getAttribute("datetime"), ts);

  // Keyboard: j and k move between hunks.
  await page.locator("body").click({ position: { x: 5, y: 300 } });
  await page.keyboard.press("j");
  assert.equal(await page.evaluate(() => document.activeElement.dataset.hunk), "1");
  await page.keyboard.press("j");
  await page.keyboard.press("j");
  await page.keyboard.press("k");
  assert.equal(await page.evaluate(() => document.activeElement.dataset.hunk), "2");
  // ? lists the shortcuts; Esc closes the dialog and gives focus back.
  await page.keyboard.press("?");
  const help = page.locator("dialog[open]");
  await help.waitFor();
  assert.match(await help.locator("h2").textContent(), /Keyboard shortcuts/);
  await page.keyboard.press("Escape");
  await help.waitFor({ state: "detached" });
  assert.equal(await page.evaluate(() => document.activeElement.dataset.hunk), "2");
  // Side by side and back.
  await page.keyboard.press("v");
  await hunk(1).locator("table.diff.split").waitFor();
  await page.keyboard.press("v");
  await hunk(1).locator("table.diff.unified").waitFor();
});

let approved1;
test("approve a hunk with the keyboard: the store commit is shown and is the store's head", async () => {
  const head0 = git("rev-parse", "main");
  await hunk(1).focus();
  await page.keyboard.press("a");
  await confirm("Approve");
  const res = page.locator("[data-testid=approve-result]");
  await res.waitFor();
  approved1 = await res.locator("code.sha").getAttribute("data-commit");
  assert.match(approved1, /^[0-9a-f]{40}$/);
  assert.equal(git("rev-parse", "main"), approved1, "the commit shown is the new head");
  assert.equal(git("rev-parse", "main~1"), head0);
  assert.equal(git("log", "-1", "--format=%an", approved1), "priya");
  assert.match(git("log", "-1", "--format=%B", approved1), new RegExp(`Diff-Id: ${SHOP}`));
  await page.locator(`article.hunk[data-hunk="1"][data-state="approved"]`).waitFor();
  assert.equal(await hunk(1).locator(".decision code.sha").getAttribute("data-commit"), approved1);
});

let release;
test("approve by button, and approve an edited text", async () => {
  release = sql(`select idx || '|' || memory_id || '|' || path from hunks where diff_id=${SHOP} and new_text = 'The release branch is integration.'`).split("|");
  await hunk(release[0]).locator("[data-action=approve]").click();
  await confirm("Approve");
  await page.locator(`article.hunk[data-hunk="${release[0]}"][data-state="approved"]`).waitFor();
  const releaseSha = await page.locator("[data-testid=approve-result] code.sha").getAttribute("data-commit");
  assert.notEqual(releaseSha, approved1);
  assert.equal(git("rev-parse", "main"), releaseSha);
  assert.equal(git("show", `main:${release[2]}`).includes("The release branch is integration."), true);

  const lint = sql(`select idx || '|' || memory_id from hunks where diff_id=${SHOP} and new_text like 'Run \`make lint\`%'`).split("|");
  await hunk(lint[0]).locator("[data-action=edit]").click();
  const area = page.locator(`#edit-${lint[0]}`);
  await area.fill("Run `make lint` before every commit; `make fmt` fixes most of what it finds.");
  await hunk(lint[0]).locator("[data-action=approve-edited]").click();
  await confirm("Approve");
  const res = page.locator(`[data-testid=approve-result]:has(code.sha:not([data-commit="${releaseSha}"]))`);
  await res.waitFor();
  const sha = await res.locator("code.sha").getAttribute("data-commit");
  assert.equal(git("rev-parse", "main"), sha);
  // The file is named by a slug of its text and the memory id's hex.
  const file = git("ls-tree", "-r", "--name-only", sha, "memories/shop").split("\n").filter((f) => f.endsWith(lint[1].slice(4) + ".md"));
  assert.equal(file.length, 1);
  assert.match(git("show", `${sha}:${file[0]}`), /`make fmt` fixes most of what it finds\./);
});

test("reject needs a reason; with one, the hunk is rejected and nothing reaches the store", async () => {
  const head = git("rev-parse", "main");
  await hunk(3).focus();
  await page.keyboard.press("r");
  const dlg = page.locator("dialog[open]");
  await dlg.waitFor();
  await dlg.getByRole("button", { name: "Reject" }).click();
  assert.match(await dlg.locator(".dialog-error").textContent(), /needs a reason/);
  await dlg.locator("textarea").fill("not a durable lesson (UI test)");
  await dlg.getByRole("button", { name: "Reject" }).click();
  await page.locator("[data-testid=reject-result]").waitFor();
  await page.locator(`article.hunk[data-hunk="3"][data-state="rejected"]`).waitFor();
  assert.match(await hunk(3).locator(".decision").textContent(), /not a durable lesson \(UI test\)/);
  assert.equal(git("rev-parse", "main"), head, "a rejection commits nothing");
});

test("a blocked hunk: approve is disabled, the key refuses, and the server refuses a forced request", async () => {
  const b = hunk(BLOCKED);
  await b.scrollIntoViewIfNeeded();
  assert.equal(await b.getAttribute("data-blocked"), "1");
  assert.equal(await b.locator(".badge.blocked").textContent(), "BLOCKED");
  assert.equal(await b.locator("[data-action=approve]").isDisabled(), true);
  assert.match(await b.locator(".blocked-note").textContent(), /cannot be approved/);
  await b.focus();
  await page.screenshot({ path: path.join(SHOTS, "diff-blocked.png") });
  await page.keyboard.press("a");
  assert.equal(await page.locator("dialog[open]").count(), 0, "no confirmation for a blocked hunk");
  assert.match(await page.locator("#status").textContent(), /blocked by the rules and cannot be approved/);

  // Force it: enable the button in the page and press it.
  const head = git("rev-parse", "main");
  await b.locator("[data-action=approve]").evaluate((el) => el.removeAttribute("disabled"));
  await b.locator("[data-action=approve]").click();
  await confirm("Approve");
  const err = page.locator("#diff-result .error-block");
  await err.waitFor();
  assert.equal(await err.getAttribute("data-status"), "403");
  assert.match(await err.textContent(), /refused by the server/);
  assert.match(await err.locator(".server-message").textContent(), new RegExp(`hunk ${BLOCKED} of diff ${SHOP} is blocked by the rules`));
  assert.equal(git("rev-parse", "main"), head, "nothing was committed");
  assert.equal(sql(`select state from hunks where diff_id=${SHOP} and idx=${BLOCKED}`), "pending");
});

let newDiff;
let revertedTo;
test("memory browser: search, history with author and evidence trailers, revert", async () => {
  // A later session contradicts the release branch: the next pass proposes
  // an update of that memory, which the revert below will then move under.
  const contra = path.join(env("WORK"), "contra.jsonl");
  execFileSync("sh", ["-c", `cat > '${contra}'`], {
    input:
      '{"type":"user","uuid":"c0c0c0c0-0000-4000-8000-000000000001","parentUuid":null,"sessionId":"c0c0c0c0-0000-4000-8000-0000000000aa","cwd":"/srv/shop","timestamp":"2026-11-22T09:00:00.000Z","message":{"role":"user","content":"Remember: the release branch is no longer `integration`; the release branch is `release/2026`."}}\n',
  });
  cur("ingest", "--quiet", contra);
  cur("dream");
  newDiff = sql(`select diff_id || '|' || idx from hunks where op='update' and memory_id='${release[1]}' and state='pending'`).split("|");
  assert.equal(newDiff.length, 2, "the pass proposed an update of the release memory");

  await page.locator("nav a[data-view=memories]").click();
  await page.locator("#m-scope").fill("shop");
  await page.locator("#m-q").fill("release branch");
  await page.locator("#m-q").press("Enter");
  const item = page.locator(`li.memory[data-memory="${release[1]}"]`);
  await item.waitFor();
  assert.match(await item.locator(".memory-text").textContent(), /The release branch is integration\./);
  assert.match(await page.locator("[data-testid=memories-count]").textContent(), new RegExp(git("rev-parse", "main").slice(0, 12)));
  await item.locator("a").click();

  const commits = page.locator("li.commit");
  await commits.first().waitFor();
  const log = git("log", "--format=%H", "main", "--", release[2]).split("\n");
  assert.equal(await commits.count(), log.length);
  const c = commits.first();
  assert.equal(await c.getAttribute("data-commit"), log[0]);
  assert.equal(await c.locator(".author").textContent(), "priya");
  const trailers = await c.locator("dl.trailers").textContent();
  assert.match(trailers, new RegExp(`Diff-Id${SHOP}`));
  assert.match(trailers, /Approved-Bypriya/);
  assert.match(trailers, /Evidence[0-9a-f-]+\/[0-9a-f-]+/);
  assert.match(await page.locator("[data-testid=memory-now]").textContent(), /The release branch is integration\./);
  await page.screenshot({ path: path.join(SHOTS, "memory-history.png") });

  const head = git("rev-parse", "main");
  await c.locator("[data-action=revert]").click();
  const dlg = page.locator("dialog[open]");
  await dlg.waitFor();
  assert.match(await dlg.textContent(), new RegExp(release[2].replace(/[.]/g, "\\.")));
  await dlg.getByRole("button", { name: "Cancel" }).click();
  assert.equal(git("rev-parse", "main"), head, "cancel reverts nothing");
  await c.locator("[data-action=revert]").click();
  await confirm("Revert");
  const res = page.locator("[data-testid=revert-result]");
  await res.waitFor();
  revertedTo = await res.locator("code.sha").getAttribute("data-commit");
  assert.equal(git("rev-parse", "main"), revertedTo);
  assert.equal(git("rev-parse", "main~1"), head);
  assert.equal(git("log", "-1", "--format=%an", revertedTo), "priya");
  assert.equal(git("ls-tree", "--name-only", "main", release[2]), "", "the memory is gone from the head");
  await page.locator(`li.commit[data-commit="${revertedTo}"]`).waitFor();
  assert.match(await page.locator("[data-testid=memory-now]").textContent(), /Not in the store now/);
});

test("a conflict is explained: the memory moved under the proposed update", async () => {
  const [id, idx] = newDiff;
  await page.goto(`${BASE}/#/diff/${id}`);
  await hunk(idx).waitFor();
  const head = git("rev-parse", "main");
  await hunk(idx).locator("[data-action=approve]").click();
  await confirm("Approve");
  const err = page.locator("#diff-result .error-block");
  await err.waitFor();
  assert.equal(await err.getAttribute("data-status"), "409");
  assert.match(await err.locator(".server-message").textContent(), new RegExp(`diff ${id} conflicts with the store`));
  assert.match(await err.locator(".what-to-do").textContent(), /What to do:/);
  await page.locator(".diff-head .error-block", { hasText: "This diff is conflicted." }).waitFor();
  assert.equal(git("rev-parse", "main"), head);
  assert.equal(sql(`select state from diffs where id=${id}`), "conflicted");
  await err.scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(SHOTS, "conflict.png") });
});

let dreamDiff;
test("an admin runs a dreaming pass from the queue and sees the new diff", async () => {
  const extra = path.join(env("WORK"), "later.jsonl");
  execFileSync("sh", ["-c", `cat > '${extra}'`], {
    input:
      '{"type":"user","uuid":"e2e2e2e2-0000-4000-8000-000000000001","parentUuid":null,"sessionId":"e2e2e2e2-0000-4000-8000-0000000000aa","cwd":"/srv/shop","timestamp":"2026-11-22T10:00:00.000Z","message":{"role":"user","content":"Remember: the nightly build runs at 02:00 UTC and posts to #shop-builds."}}\n',
  });
  cur("ingest", "--quiet", extra);
  const before = Number(sql("select coalesce(max(id), 0) from dream_runs"));
  await page.locator("button", { hasText: "Sign out" }).click();
  await signIn(env("TOK_ROOT"));
  await page.locator("[data-testid=queue]").waitFor();
  await page.locator("[data-action=dream]").click();
  await confirm("Run");
  const out = page.locator("[data-testid=dream-result] .ok-block");
  await out.waitFor();
  const run = Number(sql("select max(id) from dream_runs"));
  assert.equal(run, before + 1);
  assert.match(await out.textContent(), new RegExp(`^Dreaming run ${run}: read 1 new events in 1 scope; proposed 1 diff`));
  dreamDiff = sql(`select id from diffs where run_id=${run}`);
  await page.locator(`[data-testid=queue] tr[data-diff="${dreamDiff}"]`).waitFor();
});

test("a principal held to one scope sees only its diffs, and approves a whole diff at once", async () => {
  await page.locator("button", { hasText: "Sign out" }).click();
  assert.equal(await page.evaluate(() => sessionStorage.getItem("curator.token")), null);
  await signIn(env("TOK_SAM"));
  await page.locator("[data-testid=queue]").waitFor();
  const ids = await page.locator("[data-testid=queue] tbody tr").evaluateAll((rs) => rs.map((r) => r.dataset.diff));
  assert.deepEqual(ids, [SUPPORT]);

  // Approve the whole diff at once: one commit with every hunk, by sam.
  await page.locator(`a[href="#/diff/${SUPPORT}"]`).click();
  await hunk(1).waitFor();
  const n = Number(sql(`select count(*) from hunks where diff_id=${SUPPORT}`));
  const head = git("rev-parse", "main");
  await page.locator("[data-action=approve-all]").click();
  await confirm("Approve");
  const res = page.locator("[data-testid=approve-result]");
  await res.waitFor();
  const sha = await res.locator("code.sha").getAttribute("data-commit");
  assert.equal(git("rev-parse", "main"), sha);
  assert.equal(git("rev-parse", "main~1"), head, "one commit for the whole diff");
  assert.equal(git("log", "-1", "--format=%an", sha), "sam");
  assert.equal(git("diff", "--name-only", head, sha).split("\n").length, n);
  await page.locator(".diff-head .badge.state-approved").waitFor();
  assert.equal(await page.locator("article.hunk[data-state=approved]").count(), n);
});

test("compliance: the audit log with its verification, retention, and no deciding", async () => {
  await page.locator("button", { hasText: "Sign out" }).click();
  await signIn(env("TOK_CAROL"));
  await page.locator("[data-testid=queue]").waitFor();
  assert.equal(await page.locator("[data-testid=who-role]").textContent(), "compliance");

  assert.equal(sql(`select state from diffs where id=${dreamDiff}`), "pending");
  await page.goto(`${BASE}/#/diff/${dreamDiff}`);
  await hunk(1).waitFor();
  const n = Number(sql(`select count(*) from hunks where diff_id=${dreamDiff}`));
  assert.equal(await page.locator("article.hunk [data-action=approve]").count(), n);
  assert.equal(await page.locator("article.hunk [data-action=approve]:not([disabled])").count(), 0, "compliance cannot approve");
  assert.equal(await page.locator("article.hunk [data-action=reject]:not([disabled])").count(), 0, "nor reject");
  assert.match(await hunk(1).locator(".actions .hint").textContent(), /Your role \(compliance\) can read diffs/);

  // The audit writer flushes within a second; wait until the page's approvals are in.
  for (let i = 0; i < 30 && Number(sql("select count(*) from audit_log where action='http.denied'")) === 0; i++) await new Promise((r) => setTimeout(r, 200));
  await page.locator("nav a[data-view=audit]").click();
  const verdict = page.locator("[data-testid=audit-verdict].intact");
  await verdict.waitFor();
  const rows = Number(sql("select count(*) from audit_log"));
  assert.match(await verdict.textContent(), new RegExp(`Hash chain intact: ${rows} rows verified`));
  const table = page.locator("[data-testid=audit-table]");
  await table.waitFor();
  const actions = await table.locator("tbody td:nth-child(4)").allTextContents();
  assert.ok(actions.includes("review.approve"), actions.join(","));
  assert.ok(actions.includes("memories.revert"), actions.join(","));
  const lastId = sql("select max(id) from audit_log");
  assert.equal(await table.locator("tbody tr").last().getAttribute("data-row"), lastId, "the newest rows first come into view");
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(SHOTS, "audit.png") });

  await page.locator("#a-action").fill("review.reject");
  await page.locator("#a-action").press("Enter");
  await page.waitForFunction(() => location.hash.includes("action=review.reject"));
  await page.locator("[data-testid=audit-table] caption", { hasText: "filtered" }).waitFor();
  const only = await page.locator("[data-testid=audit-table] tbody td:nth-child(4)").allTextContents();
  assert.deepEqual([...new Set(only)], ["review.reject"]);

  // A broken chain is named.
  execFileSync("sqlite3", [path.join(HOME, "curator.db"), "drop trigger audit_log_no_update; update audit_log set actor='mallory' where id=3"]);
  await page.goto(`${BASE}/#/audit?after=0`);
  await page.locator("tr[data-row='3'].broken").waitFor();
  const broken = page.locator("[data-testid=audit-verdict].broken");
  assert.match(await broken.textContent(), /Hash chain BROKEN at row 3/);
  assert.equal(await page.locator("tr.broken").count(), 1);

  await page.locator("nav a[data-view=retention]").click();
  await page.locator("[data-testid=retention-note]").waitFor();
  const shopSection = page.locator("section", { has: page.locator("h2 .scope", { hasText: "shop" }) });
  await shopSection.waitFor();
  const live = await (await fetch(`${BASE}/v1/memories?scope=shop`, { headers: { Authorization: "Bearer " + env("TOK_CAROL") } })).json();
  assert.equal(await shopSection.locator("tbody tr").count(), live.memories.length);
  // the API reports each memory's class, expiry and hold, and the view shows them
  assert.ok(live.memories.every((m) => m.retention && m.expires && "legal_hold" in m));
  assert.match(await shopSection.textContent(), new RegExp(live.memories[0].retention));
  assert.doesNotMatch(await shopSection.textContent(), /not reported/);
  await page.screenshot({ path: path.join(SHOTS, "retention.png") });
});

test("the page never failed and never reached beyond the server", () => {
  assert.deepEqual(pageErrors, []);
});
