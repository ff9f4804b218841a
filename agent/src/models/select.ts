/**
 * Model choice: catalogue × device → the best model and quantisation type that fits with headroom and
 * answers at a conversational speed, explained in words (explain.ts).
 */
import type { DeviceProfile } from "../hardware/profile-types.js";
import { resolveThreads } from "../hardware/profiles.js";
import type { HardwareReport } from "../hardware/types.js";
import { explainChoiceParts, explainNothingFitsParts, notePartsFor, remoteOfferParts } from "./explain.js";
import { DEFAULT_HEADROOM, memoryBudget, placeModel } from "./fit.js";
import { renderReasonEn } from "./reason-parts.js";
import type { Candidate, SelectionContext } from "./selection-types.js";
import { deviceSpeed, estimateTokensPerSecond } from "./speed.js";
import {
  type Alternative,
  type CatalogueFile,
  type CatalogueModel,
  type Choice,
  type Fit,
  QUANT_TYPES,
  type QuantType,
  type Recommendation,
  type RemoteOffer,
} from "./types.js";

/**
 * Default speed floor, tokens/s: a reply of ~100 words then takes under ~30 s (~5 tokens/s is the slowest
 * a chat stays usable).
 */
export const DEFAULT_MIN_TOKENS_PER_SECOND = 5;

/**
 * A quantisation type above Q4_K_M is taken only while its estimated speed stays ≥ this × the floor: the
 * quality gain over Q4_K_M is small (perplexity +0.18 → +0.06/+0.02/+0.003 for Q5_K_M/Q6_K/Q8_0 on
 * Llama-3-8B, llama-quantize's QUANT_OPTIONS) while speed falls with file size. Design choice.
 */
export const COMFORT_SPEED_FACTOR = 2;

/**
 * Ranking penalty per quantisation type = 8 × its perplexity increase on Llama-3-8B as llama-quantize lists
 * it (Q2_K +3.5199, Q3_K_M +0.6569, Q4_K_M +0.1754, Q5_K_M +0.0569, Q6_K +0.0217, Q8_0 +0.0026). The ×8 scale
 * (design choice) makes Q4_K_M cost ~1.4 quality points and Q2_K ~28. Q2_K/Q3_K_M are also held back by tier.
 */
export const QUANT_PENALTY: Record<QuantType, number> = {
  Q2_K: 8 * 3.5199,
  Q3_K_M: 8 * 0.6569,
  Q4_K_M: 8 * 0.1754,
  Q5_K_M: 8 * 0.0569,
  Q6_K: 8 * 0.0217,
  Q8_0: 8 * 0.0026,
};

/**
 * Disk kept free on the model store's filesystem: the SQLite database and its WAL, logs and atomic config
 * writes need room, and a full root filesystem stops journald and SQLite (design choice: 512 MiB).
 */
export const DISK_RESERVE_BYTES = 512 * 1024 ** 2;

/** Quality points added to models listing every preferred language (design choice: more than one size step). */
export const LANGUAGE_BOOST = 15;

export interface RecommendOptions {
  /** Speed floor, tokens/s (default 5). */
  minTokensPerSecond?: number;
  /** Fixed context size in tokens (capped by the model's trained context); default: the profile's. */
  contextSize?: number;
  /** ISO 639-1 codes; models listing all of them get LANGUAGE_BOOST. */
  preferLanguages?: string[];
  /** Headroom fraction for "fits" (default 0.2). */
  headroom?: number;
  /** GGUF file names already in the model store: they need no free disk. */
  installedFiles?: string[];
  /** Remote backends known (configured or found on the LAN): offered when no local model fits. */
  remoteBackends?: RemoteOffer[];
}

const FIT_RANK: Record<Fit, number> = { fits: 0, tight: 1, "too-slow": 2, "no-disk": 3, "too-large": 4 };
const quantIndex = (q: QuantType) => QUANT_TYPES.indexOf(q);

/**
 * Recommends a model for a device.
 * - Context size: the profile default capped by its max and the model's trained context (or
 *   `opts.contextSize`); without an override it is halved down to the profile min when that makes the model
 *   fit with headroom.
 * - Choice order (tiers): fits with headroom at Q4_K_M or better → Q3_K_M → tight at ≥ Q3_K_M → Q2_K →
 *   (nothing reaches the speed floor) the fastest that fits. Within a tier: highest quality + language boost
 *   − QUANT_PENALTY; per model the largest quantisation type whose speed ≥ COMFORT_SPEED_FACTOR × floor
 *   (on a discrete GPU: the largest fully offloaded one, if any), else the fastest. Never a file larger than free disk − DISK_RESERVE_BYTES (unless already installed).
 * - `choice` is null only when no model fits memory and disk; `reason` then says what to do.
 * Threads: physical performance cores, fewer for a small file (resolveThreads with the file's bytes). Pure: no I/O.
 */
export function recommend(
  report: HardwareReport,
  profile: DeviceProfile,
  catalogue: CatalogueModel[],
  opts: RecommendOptions = {},
): Recommendation {
  const minTokensPerSecond = opts.minTokensPerSecond ?? DEFAULT_MIN_TOKENS_PER_SECOND;
  const headroom = opts.headroom ?? DEFAULT_HEADROOM;
  const budget = memoryBudget(report, profile);
  const speed = deviceSpeed(profile, budget);
  const rt = profile.runtime;
  const installed = new Set(opts.installedFiles ?? []);
  const preferLanguages = (opts.preferLanguages ?? []).map((l) => l.toLowerCase());
  const targetContextSize = (m: CatalogueModel) =>
    Math.min(
      opts.contextSize ?? Math.min(rt.contextSize.default, rt.contextSize.max),
      m.architecture.trainedContext,
    );
  let perModel: { model: CatalogueModel; candidates: Candidate[]; best: Candidate | null }[] = [];
  const ctx: SelectionContext = {
    profile,
    report,
    budget,
    speed,
    minTokensPerSecond,
    headroom,
    targetContextSize,
    preferLanguages,
    diskUsableBytes: Math.max(0, report.diskFreeBytes - DISK_RESERVE_BYTES),
    candidatesOf: (id) => perModel.find((p) => p.model.id === id)?.candidates ?? [],
  };

  const evaluate = (model: CatalogueModel, file: CatalogueFile, contextSize: number): Candidate => {
    const placed = placeModel(model, file, budget, {
      contextSize,
      kvCacheType: rt.kvCacheType,
      batchSize: rt.batchSize,
      flashAttention: rt.flashAttention,
      headroom,
    });
    const tokensPerSecond = estimateTokensPerSecond(file.fileBytes, placed.gpuFraction, speed);
    let fit: Fit = placed.memoryFit;
    if (fit !== "too-large") {
      if (file.fileBytes > ctx.diskUsableBytes && !installed.has(file.fileName)) fit = "no-disk";
      else if (tokensPerSecond < minTokensPerSecond) fit = "too-slow";
    }
    return { model, file, contextSize, placed, tokensPerSecond, fit };
  };

  const ladder = (model: CatalogueModel): number[] => {
    const start = targetContextSize(model);
    if (opts.contextSize !== undefined) return [start];
    const floor = Math.min(rt.contextSize.min, start);
    const sizes = [start];
    for (let c = Math.floor(start / 2); c > floor; c = Math.floor(c / 2)) sizes.push(c);
    if (floor < start) sizes.push(floor);
    return sizes;
  };

  perModel = catalogue.map((model) => {
    const sizes = ladder(model);
    const candidates = model.files.map((file) => {
      const all = sizes.map((c) => evaluate(model, file, c));
      // the largest context with the best fit level; when nothing fits, the smallest need (for the reason)
      return all.reduce((best, c) =>
        FIT_RANK[c.fit] < FIT_RANK[best.fit] ||
        (c.fit === "too-large" &&
          best.fit === "too-large" &&
          c.placed.memory.totalBytes < best.placed.memory.totalBytes)
          ? c
          : best,
      );
    });
    return { model, candidates, best: bestOfModel(candidates, ctx) };
  });

  const selectable = perModel
    .filter((p): p is typeof p & { best: Candidate } => p.best !== null)
    .sort((a, b) => compareCandidates(a.best, b.best, ctx));
  const chosen = selectable[0]?.best ?? null;

  const alternatives: Alternative[] = perModel
    .filter((p) => p.model !== chosen?.model)
    .map((p) => {
      const c = p.best ?? closest(p.candidates);
      const noteParts = notePartsFor(c, chosen, ctx);
      return {
        model: p.model.id,
        quant: c.file.quant,
        fileBytes: c.file.fileBytes,
        memory: roundMemory(c.placed.memory),
        estimatedTokensPerSecond: round1(c.tokensPerSecond),
        fit: c.fit,
        note: renderReasonEn(noteParts),
        noteParts,
      };
    })
    .sort((a, b) => qualityOf(catalogue, b.model) - qualityOf(catalogue, a.model));

  if (!chosen) {
    const remote = opts.remoteBackends ?? [];
    const reasonParts = [
      ...explainNothingFitsParts(
        perModel.map((p) => closest(p.candidates)),
        ctx,
      ),
      ...remoteOfferParts(remote),
    ];
    return {
      profile: profile.id,
      reason: renderReasonEn(reasonParts),
      choice: null,
      alternatives,
      reasonParts,
      ...(remote.length > 0 ? { remote } : {}),
    };
  }
  const choice: Choice = {
    model: chosen.model.id,
    parameters: chosen.model.parameters,
    quant: chosen.file.quant,
    fileBytes: chosen.file.fileBytes,
    uri: chosen.file.uri,
    contextSize: chosen.contextSize,
    gpuLayers: chosen.placed.gpuLayers,
    threads: resolveThreads(profile, report, chosen.file.fileBytes),
    memory: roundMemory(chosen.placed.memory),
    budgetBytes: Math.round(budget.totalBytes),
    estimatedTokensPerSecond: round1(chosen.tokensPerSecond),
  };
  const others = selectable.slice(1).map((s) => s.best);
  const rejected = perModel.filter((p) => p.best === null).map((p) => closest(p.candidates));
  const reasonParts = explainChoiceParts(chosen, [...others, ...rejected], ctx);
  return { profile: profile.id, reason: renderReasonEn(reasonParts), choice, alternatives, reasonParts };
}

/** Choice tier of a candidate (lower is better), or null when it cannot be chosen (memory or disk). */
export function tierOf(c: Candidate): number | null {
  const q = quantIndex(c.file.quant);
  if (c.fit === "too-large" || c.fit === "no-disk") return null;
  if (c.fit === "too-slow") return 4;
  if (q <= quantIndex("Q2_K")) return 3;
  if (c.fit === "tight") return 2;
  return q >= quantIndex("Q4_K_M") ? 0 : 1;
}

/** Ranking score: catalogue quality + language boost − quantisation penalty. */
export function scoreOf(c: Candidate, ctx: Pick<SelectionContext, "preferLanguages">): number {
  const langs = ctx.preferLanguages;
  const boost = langs.length > 0 && langs.every((l) => c.model.languages.includes(l)) ? LANGUAGE_BOOST : 0;
  return c.model.quality + boost - QUANT_PENALTY[c.file.quant];
}

function compareCandidates(a: Candidate, b: Candidate, ctx: SelectionContext): number {
  const ta = tierOf(a) ?? 99;
  const tb = tierOf(b) ?? 99;
  if (ta !== tb) return ta - tb;
  if (ta === 4) return b.tokensPerSecond - a.tokensPerSecond;
  return scoreOf(b, ctx) - scoreOf(a, ctx);
}

/** A model's best selectable candidate (see `recommend`), or null. */
function bestOfModel(candidates: Candidate[], ctx: SelectionContext): Candidate | null {
  const ok = candidates.filter((c) => tierOf(c) !== null);
  if (ok.length === 0) return null;
  const tier = Math.min(...ok.map((c) => tierOf(c) as number));
  const inTier = ok.filter((c) => tierOf(c) === tier).sort((a, b) => a.file.fileBytes - b.file.fileBytes);
  if (tier === 0) {
    const comfortable = inTier.filter(
      (c) => c.tokensPerSecond >= COMFORT_SPEED_FACTOR * ctx.minTokensPerSecond,
    );
    // on a discrete GPU a fully offloaded file beats a larger one split with the CPU (which runs at RAM speed)
    const whole = comfortable.filter((c) => c.placed.gpuFraction === 1);
    const pool = ctx.budget.kind === "discrete" && whole.length > 0 ? whole : comfortable;
    return pool.at(-1) ?? (inTier[0] as Candidate);
  }
  return inTier[0] as Candidate;
}

/** For a model that cannot be chosen: its least-bad candidate (best fit level, then smallest file). */
function closest(candidates: Candidate[]): Candidate {
  return [...candidates].sort(
    (a, b) => FIT_RANK[a.fit] - FIT_RANK[b.fit] || a.file.fileBytes - b.file.fileBytes,
  )[0] as Candidate;
}

function qualityOf(catalogue: CatalogueModel[], id: string): number {
  return catalogue.find((m) => m.id === id)?.quality ?? 0;
}

function roundMemory(m: {
  weightsBytes: number;
  kvCacheBytes: number;
  overheadBytes: number;
  totalBytes: number;
}) {
  return {
    weightsBytes: Math.round(m.weightsBytes),
    kvCacheBytes: Math.round(m.kvCacheBytes),
    overheadBytes: Math.round(m.overheadBytes),
    totalBytes: Math.round(m.totalBytes),
  };
}

const round1 = (n: number) => (Number.isFinite(n) ? Math.round(n * 10) / 10 : 9999);
