// Text handling for the review UI: placing rule findings (byte offsets into
// UTF-8) on the redacted text, a line diff, and short formats. Nothing here
// builds HTML: callers turn segments into text nodes.

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: false });

const MARKER_RE = /\[REDACTED:([A-Za-z0-9._-]+)\]/g;

function isBoundary(bytes, i) {
  return i === 0 || i === bytes.length || (i > 0 && i < bytes.length && (bytes[i] & 0xc0) !== 0x80);
}

function bytesEqual(bytes, at, want) {
  if (at < 0 || at + want.length > bytes.length) return false;
  for (let i = 0; i < want.length; i++) if (bytes[at + i] !== want[i]) return false;
  return true;
}

// Findings carry byte offsets into the text as it was scanned, before the
// redacting ones were replaced by "[REDACTED:rule]". This walks them in order
// (as rules_redact does) and returns where each lands in the stored text, in
// bytes: {finding, start, end, placed}. A finding whose place cannot be
// confirmed (the marker is not where it should be, or a flag's range does not
// fall on character boundaries) is returned with placed = false.
export function placeFindings(text, findings) {
  const bytes = enc.encode(text || "");
  const sorted = [...(findings || [])].sort((a, b) => a.start - b.start);
  const out = [];
  let delta = 0;
  let at = 0;
  for (const f of sorted) {
    const start = Number(f.start);
    const end = Number(f.end);
    if (!Number.isInteger(start) || !Number.isInteger(end) || end < start || start < at) {
      out.push({ finding: f, start: -1, end: -1, placed: false });
      continue;
    }
    if (f.action === "redact" || f.action === "block") {
      const marker = enc.encode(`[REDACTED:${f.rule}]`);
      const s = start + delta;
      const ok = bytesEqual(bytes, s, marker);
      out.push({ finding: f, start: ok ? s : -1, end: ok ? s + marker.length : -1, placed: ok });
      delta += marker.length - (end - start);
    } else {
      const s = start + delta;
      const e = end + delta;
      const ok = e <= bytes.length && isBoundary(bytes, s) && isBoundary(bytes, e);
      out.push({ finding: f, start: ok ? s : -1, end: ok ? e : -1, placed: ok });
    }
    at = end;
  }
  return out;
}

// Splits text into segments {text, mark} where mark is null, or
// {kind: "finding", finding} for a placed finding, or {kind: "redacted", rule}
// for a redaction marker no finding explains (redacted at ingest).
export function markText(text, findings) {
  text = text || "";
  const bytes = enc.encode(text);
  const spans = [];
  for (const p of placeFindings(text, findings)) {
    if (p.placed && p.end > p.start) spans.push({ start: p.start, end: p.end, mark: { kind: "finding", finding: p.finding } });
  }
  // Markers by character index, turned into bytes.
  for (const m of text.matchAll(MARKER_RE)) {
    const s = enc.encode(text.slice(0, m.index)).length;
    const e = s + enc.encode(m[0]).length;
    if (!spans.some((x) => x.start < e && s < x.end)) spans.push({ start: s, end: e, mark: { kind: "redacted", rule: m[1] } });
  }
  spans.sort((a, b) => a.start - b.start);
  const segs = [];
  let at = 0;
  for (const sp of spans) {
    if (sp.start < at) continue;
    if (sp.start > at) segs.push({ text: dec.decode(bytes.subarray(at, sp.start)), mark: null });
    segs.push({ text: dec.decode(bytes.subarray(sp.start, sp.end)), mark: sp.mark });
    at = sp.end;
  }
  if (at < bytes.length) segs.push({ text: dec.decode(bytes.subarray(at)), mark: null });
  return segs;
}

// Cuts segments into lines (the "\n" is dropped), keeping marks.
export function segmentLines(segs) {
  const lines = [[]];
  for (const s of segs) {
    const parts = s.text.split("\n");
    parts.forEach((p, i) => {
      if (i > 0) lines.push([]);
      if (p) lines[lines.length - 1].push({ text: p, mark: s.mark });
    });
  }
  return lines;
}

function splitLines(text) {
  if (text === null || text === undefined) return [];
  const lines = text.split("\n");
  if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

// A line diff of old and new (either may be null: add or delete). Returns
// rows {op: " " | "-" | "+", oldNo, newNo, oldIdx, newIdx}.
export function lineDiff(oldText, newText) {
  const a = splitLines(oldText);
  const b = splitLines(newText);
  const n = a.length;
  const m = b.length;
  const rows = [];
  if (n * m > 4_000_000) {
    a.forEach((_, i) => rows.push({ op: "-", oldNo: i + 1, oldIdx: i }));
    b.forEach((_, j) => rows.push({ op: "+", newNo: j + 1, newIdx: j }));
    return rows;
  }
  // Longest common subsequence, from the end so the walk goes forwards.
  const w = m + 1;
  const L = new Uint32Array((n + 1) * (m + 1));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      L[i * w + j] = a[i] === b[j] ? L[(i + 1) * w + j + 1] + 1 : Math.max(L[(i + 1) * w + j], L[i * w + j + 1]);
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      rows.push({ op: " ", oldNo: i + 1, newNo: j + 1, oldIdx: i, newIdx: j });
      i++;
      j++;
    } else if (i < n && (j === m || L[(i + 1) * w + j] >= L[i * w + j + 1])) {
      rows.push({ op: "-", oldNo: i + 1, oldIdx: i });
      i++;
    } else {
      rows.push({ op: "+", newNo: j + 1, newIdx: j });
      j++;
    }
  }
  return rows;
}

// Pairs a line diff for side by side: runs of "-" and "+" side by side.
export function sideBySide(rows) {
  const out = [];
  let k = 0;
  while (k < rows.length) {
    if (rows[k].op === " ") {
      out.push({ left: rows[k], right: rows[k] });
      k++;
      continue;
    }
    const dels = [];
    const adds = [];
    while (k < rows.length && rows[k].op === "-") dels.push(rows[k++]);
    while (k < rows.length && rows[k].op === "+") adds.push(rows[k++]);
    for (let x = 0; x < Math.max(dels.length, adds.length); x++) out.push({ left: dels[x] || null, right: adds[x] || null });
  }
  return out;
}

export function splitTextLines(text) {
  return splitLines(text);
}

export function shortSha(s) {
  return s ? String(s).slice(0, 12) : "";
}

// "3 h ago" style, from an RFC 3339 time; now is injectable for tests.
export function age(iso, now = Date.now()) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "";
  let s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s} s ago`;
  s = Math.round(s / 60);
  if (s < 60) return `${s} min ago`;
  s = Math.round(s / 60);
  if (s < 48) return `${s} h ago`;
  return `${Math.round(s / 24)} d ago`;
}

export function byteLength(s) {
  return enc.encode(s || "").length;
}
