/**
 * Words for the recommendation: why this model, with the numbers, and why not the others. Built as
 * ReasonPart lists (reason-parts.ts: message key + numbers) so the web app can show them in the reader's
 * language; the English strings are rendered from the same parts (renderReasonEn).
 * Memory in GiB (2^30), files and disk in GB (10^9, as Hugging Face shows sizes).
 */
import { GIB } from "./fit.js";
import { part, type ReasonPart, renderReasonEn } from "./reason-parts.js";
import type { Candidate, SelectionContext } from "./selection-types.js";
import type { RemoteOffer } from "./types.js";

const toGiB = (bytes: number) => bytes / GIB;
const toGB = (bytes: number) => bytes / 1e9;
/** tokens/s for params: 1 decimal; 9999 stands for "unbounded" (JSON has no Infinity), as in select.ts. */
const tpsParam = (n: number) => (Number.isFinite(n) ? Math.round(n * 10) / 10 : 9999);
const percent = (fraction: number) => Math.round(fraction * 100);

/** Where the weights sit: all layers on a unified-memory GPU, some on a discrete one, or the CPU. */
function placementParts(c: Candidate, ctx: SelectionContext): ReasonPart[] {
  const layers = c.model.architecture.layers;
  const gpu = ctx.budget.gpu?.model ?? "GPU";
  if (ctx.budget.kind === "unified" && c.placed.gpuLayers > 0)
    return [part("model.reason.placement.unified", { layers, gpu })];
  if (ctx.budget.kind === "discrete") {
    if (c.placed.gpuLayers >= layers) return [part("model.reason.placement.gpu", { layers, gpu })];
    return c.placed.gpuLayers > 0
      ? [part("model.reason.placement.split", { gpuLayers: c.placed.gpuLayers, layers, gpu })]
      : [part("model.reason.placement.cpu")];
  }
  return [];
}

/** What the memory budget counted (the numbers behind fit.ts memoryBudget's description). */
export function budgetParts(ctx: SelectionContext): ReasonPart[] {
  const ram = {
    availableGiB: toGiB(ctx.report.memory.availableBytes),
    reserveGiB: toGiB(ctx.profile.osReserveBytes),
  };
  const gpu = ctx.budget.gpu?.model ?? "GPU";
  if (ctx.budget.kind === "discrete")
    return [part("model.reason.budget.discrete", { vramGiB: toGiB(ctx.budget.vramBytes), gpu, ...ram })];
  if (ctx.budget.kind === "unified") return [part("model.reason.budget.unified", { ...ram, gpu })];
  return [part("model.reason.budget.cpu", ram)];
}

/** The speed arithmetic (speed.ts estimateTokensPerSecond): bandwidth × efficiency ÷ file size. */
function speedMathParts(c: Candidate, ctx: SelectionContext): ReasonPart[] {
  const { cpu, gpu } = ctx.speed;
  const fileGB = toGB(c.file.fileBytes);
  if (gpu && c.placed.gpuFraction >= 1)
    return [
      part("model.reason.speedMath.gpu", { bandwidthGBs: gpu.GBs, efficiency: gpu.efficiency, fileGB }),
    ];
  if (gpu && c.placed.gpuFraction > 0)
    return [
      part("model.reason.speedMath.split", {
        gpuPercent: percent(c.placed.gpuFraction),
        fileGB,
        gpuGBs: gpu.GBs,
        gpuEfficiency: gpu.efficiency,
        cpuGBs: cpu.GBs,
        cpuEfficiency: cpu.efficiency,
      }),
    ];
  return [part("model.reason.speedMath.cpu", { bandwidthGBs: cpu.GBs, efficiency: cpu.efficiency, fileGB })];
}

/**
 * Why `c` was not chosen (or why it fits less well than `chosen`), as parts: one sentence, two for a
 * low-bit file whose Q4_K_M sibling does not fit (that sibling's reason first).
 */
export function notePartsFor(c: Candidate, chosen: Candidate | null, ctx: SelectionContext): ReasonPart[] {
  const quant = c.file.quant;
  const needGiB = toGiB(c.placed.memory.totalBytes);
  const budgetGiB = toGiB(ctx.budget.totalBytes);
  const tokensPerSecond = tpsParam(c.tokensPerSecond);
  switch (c.fit) {
    case "too-large":
      return [part("model.reason.note.tooLarge", { quant, needGiB, contextSize: c.contextSize, budgetGiB })];
    case "no-disk":
      return [
        part("model.reason.note.noDisk", {
          quant,
          fileGB: toGB(c.file.fileBytes),
          diskGB: toGB(ctx.diskUsableBytes),
        }),
      ];
    case "too-slow":
      return [
        part("model.reason.note.tooSlow", {
          quant,
          tokensPerSecond,
          floor: ctx.minTokensPerSecond,
        }),
      ];
    case "tight":
      return [
        part("model.reason.note.tight", {
          quant,
          headroomPercent: percent(ctx.headroom),
          needGiB,
          budgetGiB,
        }),
      ];
    default: {
      if (quant === "Q2_K" || quant === "Q3_K_M") {
        const q4 = ctx.candidatesOf(c.model.id).find((o) => o.file.quant === "Q4_K_M");
        return q4 && q4.fit !== "fits"
          ? [...notePartsFor(q4, chosen, ctx), part("model.reason.note.lowBitsToo", { quant })]
          : [part("model.reason.note.lowBits", { quant })];
      }
      if (!chosen) return [part("model.reason.note.fits", { needGiB, tokensPerSecond })];
      return [
        part("model.reason.note.ranksLower", {
          quant,
          needGiB,
          tokensPerSecond,
          quality: c.model.quality,
          chosenQuality: chosen.model.quality,
        }),
      ];
    }
  }
}

/** One English sentence (or two) on why `c` was not chosen: notePartsFor rendered. */
export function noteFor(c: Candidate, chosen: Candidate | null, ctx: SelectionContext): string {
  return renderReasonEn(notePartsFor(c, chosen, ctx));
}

/**
 * The explanation of a recommendation with a choice, as parts: profile, choice, placement, memory and
 * budget, speed and its arithmetic, then caveats (reduced context, tight fit, too slow, low-bit file,
 * languages) and "Not <model>:" + note parts for the two smallest models that would answer better.
 * `others` are the best candidates of the other models.
 */
export function explainChoiceParts(
  chosen: Candidate,
  others: Candidate[],
  ctx: SelectionContext,
): ReasonPart[] {
  const m = chosen.model;
  const headroomPercent = percent(ctx.headroom);
  const floor = ctx.minTokensPerSecond;
  const parts: ReasonPart[] = [
    part("model.reason.profile", { profile: ctx.profile.id, profileName: ctx.profile.name }),
    part("model.reason.chose", {
      model: m.name,
      quant: chosen.file.quant,
      fileGB: toGB(chosen.file.fileBytes),
      contextSize: chosen.contextSize,
    }),
    ...placementParts(chosen, ctx),
    part("model.reason.memory", {
      needGiB: toGiB(chosen.placed.memory.totalBytes),
      budgetGiB: toGiB(ctx.budget.totalBytes),
    }),
    ...budgetParts(ctx),
    part("model.reason.speed", { tokensPerSecond: tpsParam(chosen.tokensPerSecond), floor }),
    ...speedMathParts(chosen, ctx),
  ];
  const target = ctx.targetContextSize(m);
  if (chosen.contextSize < target)
    parts.push(
      part("model.reason.contextReduced", {
        fromTokens: target,
        toTokens: chosen.contextSize,
        headroomPercent,
      }),
    );
  if (chosen.fit === "tight") parts.push(part("model.reason.tight", { headroomPercent }));
  if (chosen.fit === "too-slow") parts.push(part("model.reason.tooSlow", { floor }));
  if (chosen.file.quant === "Q3_K_M") parts.push(part("model.reason.q3"));
  if (chosen.file.quant === "Q2_K") parts.push(part("model.reason.q2"));
  if (ctx.preferLanguages.length > 0) {
    const languages = ctx.preferLanguages.join(", ");
    const covers = ctx.preferLanguages.every((l) => m.languages.includes(l));
    parts.push(
      covers
        ? part("model.reason.languages.covered", { languages })
        : part("model.reason.languages.missing", {
            languages,
            modelLanguages: m.languages.slice(0, 6).join(", "),
          }),
    );
  }
  // "why not the next bigger one": the two smallest models that would answer better
  const better = others
    .filter((o) => o.model.quality > m.quality)
    .sort((a, b) => a.model.parameters - b.model.parameters || b.model.quality - a.model.quality)
    .slice(0, 2);
  for (const o of better)
    parts.push(part("model.reason.not", { model: o.model.name }), ...notePartsFor(o, chosen, ctx));
  return parts;
}

/** The English `reason` of a recommendation with a choice: explainChoiceParts rendered. */
export function explainChoice(chosen: Candidate, others: Candidate[], ctx: SelectionContext): string {
  return renderReasonEn(explainChoiceParts(chosen, others, ctx));
}

/**
 * The explanation when nothing can be chosen, as parts: what failed (disk: how much is free and usable and
 * the smallest file; memory: the smallest need and the budget), with numbers, and what to do.
 */
export function explainNothingFitsParts(closest: Candidate[], ctx: SelectionContext): ReasonPart[] {
  const byMemory = [...closest].sort((a, b) => a.placed.memory.totalBytes - b.placed.memory.totalBytes);
  const smallest = byMemory[0];
  const noDisk = closest
    .filter((c) => c.fit === "no-disk")
    .sort((a, b) => a.file.fileBytes - b.file.fileBytes);
  const parts = [
    part("model.reason.profile", { profile: ctx.profile.id, profileName: ctx.profile.name }),
    part("model.reason.none"),
  ];
  if (noDisk.length > 0) {
    const first = noDisk[0] as Candidate;
    parts.push(
      part("model.reason.none.disk", {
        count: noDisk.length,
        diskFreeGB: toGB(ctx.report.diskFreeBytes),
        diskUsableGB: toGB(ctx.diskUsableBytes),
        reserveGB: toGB(ctx.report.diskFreeBytes - ctx.diskUsableBytes),
        model: first.model.name,
        quant: first.file.quant,
        fileGB: toGB(first.file.fileBytes),
      }),
      part("model.reason.none.diskFix", { missingGB: toGB(first.file.fileBytes - ctx.diskUsableBytes) }),
    );
  } else if (smallest) {
    parts.push(
      part("model.reason.none.memory", {
        model: smallest.model.name,
        quant: smallest.file.quant,
        needGiB: toGiB(smallest.placed.memory.totalBytes),
        contextSize: smallest.contextSize,
        budgetGiB: toGiB(ctx.budget.totalBytes),
      }),
      ...budgetParts(ctx),
      part("model.reason.none.memoryFix"),
    );
  }
  return parts;
}

/**
 * The way out when nothing fits locally: one sentence per known remote backend, ready ones first (configured
 * with routing.localOnly off: "run clawbox models use remote:<name>"), then the ones that need setting up.
 */
export function remoteOfferParts(offers: RemoteOffer[]): ReasonPart[] {
  return [...offers]
    .sort((a, b) => Number(b.ready) - Number(a.ready))
    .map((o) =>
      part(o.ready ? "model.reason.none.remote" : "model.reason.none.remoteSetup", {
        name: o.name,
        url: o.url,
      }),
    );
}

/** The English `reason` when nothing can be chosen: explainNothingFitsParts rendered. */
export function explainNothingFits(closest: Candidate[], ctx: SelectionContext): string {
  return renderReasonEn(explainNothingFitsParts(closest, ctx));
}
