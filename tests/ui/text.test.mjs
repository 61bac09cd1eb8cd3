// The review UI's text helpers (review-ui/text.js) without a browser:
// findings placed by bytes on redacted text, the line diff, ages.
import { test } from "node:test";
import assert from "node:assert/strict";
import { placeFindings, markText, segmentLines, lineDiff, sideBySide, age } from "../../review-ui/text.js";

const enc = new TextEncoder();
const bytesOf = (s) => enc.encode(s).length;

test("a flag finding's byte range lands on the right characters after multi-byte text", () => {
  const t = "The Zürich café mirror — “künftig” — is at 93.184.216.34 for wheels.";
  const start = bytesOf("The Zürich café mirror — “künftig” — is at ");
  const segs = markText(t, [{ rule: "ipv4-address", family: "pii", action: "flag", start, end: start + 13 }]);
  assert.deepEqual(
    segs.map((s) => [s.text, s.mark && s.mark.kind]),
    [["The Zürich café mirror — “künftig” — is at ", null], ["93.184.216.34", "finding"], [" for wheels.", null]],
  );
});

test("redacting findings are found as their markers, and later findings shift by the difference", () => {
  // Scanned: "kéy=ABCDEFGH then 93.184.216.34 end"; stored: the key redacted.
  const orig = "kéy=ABCDEFGH then 93.184.216.34 end";
  const s1 = bytesOf("kéy=");
  const s2 = bytesOf("kéy=ABCDEFGH then ");
  const stored = "kéy=[REDACTED:generic-api-key] then 93.184.216.34 end";
  assert.equal(bytesOf(orig) - 8 + bytesOf("[REDACTED:generic-api-key]"), bytesOf(stored));
  const f = [
    { rule: "generic-api-key", action: "redact", start: s1, end: s1 + 8 },
    { rule: "ipv4-address", action: "flag", start: s2, end: s2 + 13 },
  ];
  const segs = markText(stored, f).filter((s) => s.mark);
  assert.deepEqual(segs.map((s) => s.text), ["[REDACTED:generic-api-key]", "93.184.216.34"]);
  assert.deepEqual(placeFindings(stored, f).map((p) => p.placed), [true, true]);
});

test("a finding that does not fit the text is reported unplaced, not drawn in the wrong place", () => {
  const p = placeFindings("short é", [
    { rule: "x", action: "flag", start: 6, end: 7 }, // inside the two bytes of é
    { rule: "y", action: "redact", start: 0, end: 3 }, // no marker there
  ]);
  assert.deepEqual(p.map((x) => x.placed), [false, false]);
  assert.deepEqual(markText("short é", [{ rule: "x", action: "flag", start: 6, end: 7 }]), [{ text: "short é", mark: null }]);
});

test("markers from ingest are marked even with no finding; lines keep their marks", () => {
  const lines = segmentLines(markText("a\n[REDACTED:r1] b\nc", []));
  assert.equal(lines.length, 3);
  assert.deepEqual(lines[1].map((s) => [s.text, s.mark && s.mark.rule]), [["[REDACTED:r1]", "r1"], [" b", null]]);
});

test("the line diff: removed before added, unchanged lines kept, side by side paired", () => {
  const rows = lineDiff("a\nb\nc\n", "a\nB\nc\nd\n");
  assert.deepEqual(rows.map((r) => r.op), [" ", "-", "+", " ", "+"]);
  assert.deepEqual(lineDiff(null, "x\ny").map((r) => r.op + r.newNo), ["+1", "+2"]);
  assert.deepEqual(lineDiff("x\n", null).map((r) => r.op + r.oldNo), ["-1"]);
  const pairs = sideBySide(rows);
  assert.equal(pairs.length, 4);
  assert.equal(pairs[1].left.op + pairs[1].right.op, "-+");
  assert.equal(pairs[3].left, null);
});

test("ages", () => {
  const now = Date.parse("2026-11-23T12:00:00Z");
  assert.equal(age("2026-11-23T11:59:30Z", now), "30 s ago");
  assert.equal(age("2026-11-23T11:00:00Z", now), "1 h ago");
  assert.equal(age("2026-11-23T11:15:00Z", now), "45 min ago");
  assert.equal(age("2026-11-23T09:00:00Z", now), "3 h ago");
  assert.equal(age("2026-11-20T12:00:00Z", now), "3 d ago");
  assert.equal(age("not a time", now), "");
});
