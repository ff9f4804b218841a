/**
 * Splits a reply into messages that each fit a platform's limit, at the most natural boundary available:
 * paragraph, then line, then sentence, then word, and only as a last resort mid-word. A cut never falls
 * inside a character (UTF-16 surrogate pair or UTF-8 multi-byte sequence). A cut inside a ``` code fence
 * is avoided when the fence can start the next message instead; when a fence is longer than one message
 * it is closed at the end of the chunk and reopened at the start of the next, so each message renders.
 */

export interface ChunkOptions {
  /** Largest message, in `unit`s (see ChannelCapabilities.maxTextLength for the platform numbers). */
  maxLength: number;
  /** "chars" = UTF-16 code units (JS string length); "bytes" = UTF-8 bytes (IRC). Default "chars". */
  unit?: "chars" | "bytes";
  /** Every line is its own message (IRC): newlines never appear in a chunk, empty lines are dropped. */
  singleLine?: boolean;
}

const FENCE = "```";
/** Boundaries, best first: paragraph, line, sentence end, clause, word. */
const BREAKS: RegExp[] = [/\n\s*\n/g, /\n/g, /[.!?…。！？](?=\s)/g, /[;:,，、](?=\s)/g, /\s/g];

/** Length of `s` in the option's unit. */
export function measure(s: string, unit: "chars" | "bytes" = "chars"): number {
  return unit === "bytes" ? Buffer.byteLength(s, "utf8") : s.length;
}

/**
 * Index (UTF-16) of the longest prefix of `s` whose size is ≤ `max` units, never inside a character.
 * Returns at least one whole character when max is smaller than the first character.
 */
function fitPrefix(s: string, max: number, unit: "chars" | "bytes"): number {
  if (measure(s, unit) <= max) return s.length;
  let used = 0;
  let i = 0;
  while (i < s.length) {
    const cp = s.codePointAt(i) ?? 0;
    const units = cp > 0xffff ? 2 : 1;
    const size = unit === "bytes" ? (cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4) : units;
    if (used + size > max) break;
    used += size;
    i += units;
  }
  if (i === 0) i = (s.codePointAt(0) ?? 0) > 0xffff ? 2 : 1;
  return i;
}

/** Number of ``` fences in `s` (odd = an open fence at the end). */
function fenceCount(s: string): number {
  return s.split(FENCE).length - 1;
}

/** Best cut index in `window` (a prefix that fits), not before `minCut`; -1 when no boundary. */
function bestBreak(window: string, minCut: number): number {
  for (const re of BREAKS) {
    let best = -1;
    for (const m of window.matchAll(re)) {
      const end = (m.index ?? 0) + m[0].length;
      if (end >= minCut && end <= window.length) best = end;
    }
    if (best > 0) return best;
  }
  return -1;
}

/**
 * Splits `text` into chunks of at most `opts.maxLength` units each (see the file comment for where it cuts).
 * Whitespace at the cut is trimmed; empty chunks are dropped; "" gives []. Throws RangeError when
 * `maxLength` < 8 (no room for a character plus a fence marker).
 */
export function splitText(text: string, opts: ChunkOptions): string[] {
  const unit = opts.unit ?? "chars";
  if (opts.maxLength < 8) throw new RangeError(`maxLength ${opts.maxLength} is too small (minimum 8)`);
  if (opts.singleLine) {
    return text
      .split(/\r?\n/)
      .map((l) => l.trimEnd())
      .filter((l) => l.trim() !== "")
      .flatMap((l) => splitText(l.replace(/\t/g, "  "), { ...opts, singleLine: false }));
  }
  const out: string[] = [];
  let rest = text.trim();
  let reopen = false; // the previous chunk ended inside a fence: reopen it
  while (rest !== "") {
    if (reopen) rest = `${FENCE}\n${rest}`;
    reopen = false;
    if (measure(rest, unit) <= opts.maxLength) {
      out.push(rest);
      break;
    }
    // Room for a closing "\n```" should this chunk end inside a fence.
    const reserve = FENCE.length + 1;
    const windowEnd = fitPrefix(rest, opts.maxLength - reserve, unit);
    const window = rest.slice(0, windowEnd);
    const minCut = Math.floor(window.length / 3);
    let cut = bestBreak(window, minCut);
    if (cut < 0) cut = windowEnd;
    // Inside a fence? Prefer cutting just before the fence opened, if that leaves a reasonable chunk.
    if (fenceCount(window.slice(0, cut)) % 2 === 1) {
      const open = window.lastIndexOf(FENCE, cut - 1);
      if (open >= minCut) cut = open;
    }
    let chunk = rest.slice(0, cut).trimEnd();
    if (chunk === "") {
      chunk = rest.slice(0, windowEnd);
      cut = windowEnd;
    }
    if (fenceCount(chunk) % 2 === 1) {
      chunk = `${chunk}\n${FENCE}`;
      reopen = true;
    }
    out.push(chunk);
    rest = rest.slice(cut).replace(/^\s+/, "");
    if (reopen && rest.startsWith(FENCE)) {
      // The original closing fence: this chunk already closed it.
      rest = rest.slice(FENCE.length).replace(/^\s+/, "");
      reopen = false;
    }
  }
  return out.filter((c) => c.trim() !== "" && c.trim() !== `${FENCE}\n${FENCE}`);
}
