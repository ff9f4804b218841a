/**
 * Text for people: the recommendation, the model list and download progress as the CLI prints them.
 * Units as everywhere in clawbox (format/bytes.ts): memory in GiB, file sizes and rates in MB/GB.
 */
import { formatFileSize, formatMemory } from "../format/bytes.js";
import { formatTable } from "../format/table.js";
import type { DownloadProgress } from "./download.js";
import type { PartialDownload, StoredModel } from "./store.js";
import type { CatalogueModel, Recommendation } from "./types.js";

/** "1:05:09" / "4:07" for seconds; "?" when unknown. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return "?";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** Word-wraps `text` at `width` columns, each line indented by `indent`. */
export function wrap(text: string, width = 100, indent = "  "): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width - indent.length) {
      lines.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(indent + line);
  return lines.join("\n");
}

/**
 * The readable form of `clawbox recommend`: profile and why it matched, the choice with its numbers and the
 * command to download it, the reason, and a table of the alternatives with their fit.
 */
export function formatRecommendation(
  rec: Recommendation,
  catalogue: CatalogueModel[],
  profileWhy?: string,
): string {
  const name = (id: string) => catalogue.find((m) => m.id === id)?.name ?? id;
  const out: string[] = [];
  out.push(`Device profile: ${rec.profile}${profileWhy ? ` (${profileWhy})` : ""}`);
  const c = rec.choice;
  if (c) {
    out.push(
      "",
      `Recommended: ${name(c.model)} ${c.quant} — ${formatFileSize(c.fileBytes)} file, context ${c.contextSize} tokens, ` +
        `${c.threads} threads${c.gpuLayers > 0 ? `, ${c.gpuLayers} GPU layers` : ""}`,
      `  memory  ${formatMemory(c.memory.totalBytes)} of ${formatMemory(c.budgetBytes)} (weights ${formatMemory(c.memory.weightsBytes)}, ` +
        `KV cache ${formatMemory(c.memory.kvCacheBytes)}, buffers ${formatMemory(c.memory.overheadBytes)})`,
      `  speed   about ${c.estimatedTokensPerSecond} tokens/s`,
      `  source  ${c.uri}`,
      `  get it  clawbox models pull ${c.model}:${c.quant}`,
    );
  } else out.push("", "Recommended: nothing — no catalogue model can run on this device.");
  out.push("", "Why:", wrap(rec.reason));
  if (rec.alternatives.length > 0) {
    const rows = [["MODEL", "QUANT", "MEMORY", "TOKENS/S", "FIT", "NOTE"]];
    for (const a of rec.alternatives)
      rows.push([
        a.model,
        a.quant,
        formatMemory(a.memory.totalBytes),
        String(a.estimatedTokensPerSecond),
        a.fit,
        a.note,
      ]);
    out.push("", "Alternatives (each model's best quantisation type here):", formatTable(rows));
  }
  return `${out.join("\n")}\n`;
}

/** The `clawbox models list` table (and unfinished downloads below it). */
export function formatModelList(models: StoredModel[], partials: PartialDownload[], dir: string): string {
  if (models.length === 0 && partials.length === 0)
    return `No models in ${dir}.\n  Get one: clawbox recommend, then clawbox models pull <id>\n`;
  const out: string[] = [];
  if (models.length > 0) {
    const rows = [["NAME", "MODEL", "QUANT", "SIZE", "MODIFIED"]];
    for (const m of models)
      rows.push([
        m.name,
        m.modelId ?? "-",
        m.quant ?? "-",
        formatFileSize(m.bytes),
        m.modifiedAt.slice(0, 16).replace("T", " "),
      ]);
    out.push(formatTable(rows));
  }
  for (const p of partials)
    out.push(`unfinished download: ${p.name} (${formatFileSize(p.bytes)} so far; pull it again to resume)`);
  out.push(`(${dir})`);
  return `${out.join("\n")}\n`;
}

/** One progress line: "name  412.3 MB / 986.0 MB  42 %  11.2 MB/s  ETA 0:51". */
export function formatProgress(name: string, p: DownloadProgress): string {
  const total = p.totalBytes !== null ? ` / ${formatFileSize(p.totalBytes)}` : "";
  const pct = p.totalBytes ? `  ${Math.floor((p.downloadedBytes / p.totalBytes) * 100)} %` : "";
  return `${name}  ${formatFileSize(p.downloadedBytes)}${total}${pct}  ${formatFileSize(p.bytesPerSecond)}/s  ETA ${formatDuration(p.etaSeconds)}`;
}
