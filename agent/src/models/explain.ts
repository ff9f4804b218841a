/**
 * Words for the recommendation: why this model, with the numbers, and why not the others.
 * Memory in GiB (2^30), files and disk in GB (10^9, as Hugging Face shows sizes).
 */
import { GIB } from "./fit.js";
import type { Candidate, SelectionContext } from "./select.js";

const gib = (n: number) => `${(n / GIB).toFixed(1)} GiB`;
const gb = (n: number) => `${(n / 1e9).toFixed(2)} GB`;
const tps = (n: number) => (Number.isFinite(n) ? (n >= 100 ? n.toFixed(0) : n.toFixed(1)) : "∞");
const pct = (n: number) => `${Math.round(n * 100)} %`;

/** Where the weights sit, as a clause: ", 28/28 layers on the RTX 4090". */
function placement(c: Candidate, ctx: SelectionContext): string {
  const layers = c.model.architecture.layers;
  if (ctx.budget.kind === "unified" && c.placed.gpuLayers > 0)
    return `, all ${layers} layers on the ${ctx.budget.gpu?.model} (shared memory)`;
  if (ctx.budget.kind === "discrete")
    return c.placed.gpuLayers > 0
      ? `, ${c.placed.gpuLayers}/${layers} layers on the ${ctx.budget.gpu?.model}`
      : ", on the CPU";
  return "";
}

/** The speed arithmetic, e.g. "17.1 GB/s × 0.54 ÷ 1.28 GB". */
function speedMath(c: Candidate, ctx: SelectionContext): string {
  const { cpu, gpu } = ctx.speed;
  if (gpu && c.placed.gpuFraction >= 1)
    return `${gpu.GBs} GB/s VRAM × ${gpu.efficiency} ÷ ${gb(c.file.fileBytes)}`;
  if (gpu && c.placed.gpuFraction > 0)
    return `${pct(c.placed.gpuFraction)} of ${gb(c.file.fileBytes)} at ${gpu.GBs} GB/s × ${gpu.efficiency}, the rest at ${cpu.GBs} GB/s × ${cpu.efficiency}`;
  return `${cpu.GBs} GB/s × ${cpu.efficiency} ÷ ${gb(c.file.fileBytes)}`;
}

/** One sentence on why `c` was not chosen (or why it fits less well than `chosen`). */
export function noteFor(c: Candidate, chosen: Candidate | null, ctx: SelectionContext): string {
  const total = c.placed.memory.totalBytes;
  switch (c.fit) {
    case "too-large":
      return `${c.file.quant} needs ${gib(total)} at context ${c.contextSize}, more than the ${gib(ctx.budget.totalBytes)} budget.`;
    case "no-disk":
      return `the ${c.file.quant} file (${gb(c.file.fileBytes)}) is larger than the ${gb(ctx.diskUsableBytes)} of free disk it may use.`;
    case "too-slow":
      return `${c.file.quant} would generate about ${tps(c.tokensPerSecond)} tokens/s, below the ${ctx.minTokensPerSecond} tokens/s floor.`;
    case "tight":
      return `${c.file.quant} fits only without the ${pct(ctx.headroom)} headroom (${gib(total)} of ${gib(ctx.budget.totalBytes)}).`;
    default: {
      const lowBits = c.file.quant === "Q2_K" || c.file.quant === "Q3_K_M";
      if (lowBits) {
        const q4 = ctx.candidatesOf(c.model.id).find((o) => o.file.quant === "Q4_K_M");
        const tail = `fits only at ${c.file.quant}, which loses noticeably more quality than Q4_K_M.`;
        return q4 && q4.fit !== "fits" ? `${noteFor(q4, chosen, ctx).replace(/\.$/, "")}; it ${tail}` : tail;
      }
      if (!chosen) return `fits (${gib(total)}, about ${tps(c.tokensPerSecond)} tokens/s).`;
      return `fits at ${c.file.quant} (${gib(total)}, about ${tps(c.tokensPerSecond)} tokens/s) but ranks lower: quality ${c.model.quality} vs ${chosen.model.quality}.`;
    }
  }
}

/** The `reason` of a recommendation with a choice. `others` are the best candidates of the other models. */
export function explainChoice(chosen: Candidate, others: Candidate[], ctx: SelectionContext): string {
  const m = chosen.model;
  const parts: string[] = [];
  parts.push(
    `Profile ${ctx.profile.id} (${ctx.profile.name}). Chose ${m.name} at ${chosen.file.quant} ` +
      `(${gb(chosen.file.fileBytes)} file), context ${chosen.contextSize} tokens${placement(chosen, ctx)}: ` +
      `it needs ${gib(chosen.placed.memory.totalBytes)} of the ${gib(ctx.budget.totalBytes)} budget ` +
      `(${ctx.budget.description}) and should generate about ${tps(chosen.tokensPerSecond)} tokens/s ` +
      `(floor ${ctx.minTokensPerSecond}; ${speedMath(chosen, ctx)}).`,
  );
  const target = ctx.targetContextSize(m);
  if (chosen.contextSize < target)
    parts.push(
      `Context reduced from ${target} to ${chosen.contextSize} tokens so that it fits with ${pct(ctx.headroom)} headroom.`,
    );
  if (chosen.fit === "tight")
    parts.push(
      `It fits only without the ${pct(ctx.headroom)} headroom: other programs may push it into swap; stop them or pick a smaller model.`,
    );
  if (chosen.fit === "too-slow")
    parts.push(
      `No model reaches ${ctx.minTokensPerSecond} tokens/s on this device; this is the fastest one that fits.`,
    );
  if (chosen.file.quant === "Q3_K_M")
    parts.push(
      "Only a Q3_K_M file fits: expect weaker answers than Q4_K_M (perplexity +0.66 vs +0.18 on Llama-3-8B, llama-quantize).",
    );
  if (chosen.file.quant === "Q2_K")
    parts.push(
      "Only a Q2_K file fits: answers degrade badly (perplexity +3.5 on Llama-3-8B); a remote backend would answer better.",
    );
  if (ctx.preferLanguages.length > 0) {
    const covers = ctx.preferLanguages.every((l) => m.languages.includes(l));
    parts.push(
      covers
        ? `It covers ${ctx.preferLanguages.join(", ")} as asked.`
        : `No model covering ${ctx.preferLanguages.join(", ")} fits; this one is listed for ${m.languages.slice(0, 6).join(", ")}.`,
    );
  }
  // "why not the next bigger one": the two smallest models that would answer better
  const better = others
    .filter((o) => o.model.quality > m.quality)
    .sort((a, b) => a.model.parameters - b.model.parameters || b.model.quality - a.model.quality)
    .slice(0, 2);
  for (const o of better) parts.push(`Not ${o.model.name}: ${noteFor(o, chosen, ctx)}`);
  return parts.join(" ");
}

/** The `reason` when nothing can be chosen: what failed, with numbers, and what to do. */
export function explainNothingFits(closest: Candidate[], ctx: SelectionContext): string {
  const byMemory = [...closest].sort((a, b) => a.placed.memory.totalBytes - b.placed.memory.totalBytes);
  const smallest = byMemory[0];
  const noDisk = closest
    .filter((c) => c.fit === "no-disk")
    .sort((a, b) => a.file.fileBytes - b.file.fileBytes);
  const parts = [`Profile ${ctx.profile.id} (${ctx.profile.name}). No catalogue model can run here.`];
  if (noDisk.length > 0) {
    const first = noDisk[0] as Candidate;
    parts.push(
      `${noDisk.length} would fit in memory, but the model store's disk has only ${gb(ctx.report.diskFreeBytes)} free ` +
        `(${gb(ctx.diskUsableBytes)} usable after keeping ${gb(ctx.report.diskFreeBytes - ctx.diskUsableBytes)} for the database and logs) ` +
        `and the smallest of them, ${first.model.name} ${first.file.quant}, is a ${gb(first.file.fileBytes)} file.`,
      `Free at least ${gb(first.file.fileBytes - ctx.diskUsableBytes)} of disk space (or point --data-dir at a larger disk), ` +
        "or use a remote backend (an OpenAI-compatible server on another machine).",
    );
  } else if (smallest) {
    parts.push(
      `The smallest, ${smallest.model.name} ${smallest.file.quant}, needs ${gib(smallest.placed.memory.totalBytes)} ` +
        `at context ${smallest.contextSize}, but the budget is ${gib(ctx.budget.totalBytes)} (${ctx.budget.description}).`,
      "Free memory (stop other programs), add RAM, pick a smaller model than the catalogue offers, " +
        "or use a remote backend (an OpenAI-compatible server on another machine).",
    );
  }
  return parts.join(" ");
}
