/**
 * The recommendation's explanation as data: a list of sentences, each a message key with its numbers.
 * The English `reason`/`note` strings are rendered from the same parts here (REASON_EN), and the web app
 * renders them from its message catalogues (webui/src/i18n: keys "model.reason.*") in English and Chinese,
 * so the two cannot drift apart.
 *
 * Parameter units follow the name's suffix (the web app formats by the same rule):
 * - `…GiB`: memory in GiB (2^30 bytes), shown with 1 decimal;
 * - `…GB`: file and disk sizes in GB (10^9 bytes, as Hugging Face shows them), shown with 2 decimals;
 * - `…GBs`: bandwidth in GB/s (profile's `memoryBandwidthGBs`, from datasheets);
 * - `tokensPerSecond` / `…TokensPerSecond`: tokens/s, 1 decimal (none from 100 up; "∞" when unbounded);
 * - `…Percent`: 0–100, whole numbers; `…Tokens`, `contextSize`: tokens; `floor`: the configured speed floor,
 *   tokens/s (`recommend.minTokensPerSecond`, default 5), shown as given; everything else as given.
 * Strings (model names, quantisation types, GPU names, language codes) are never translated.
 */

/** Every sentence the explanation may contain (the English text is REASON_EN[key]). */
export const REASON_KEYS = [
  "model.reason.profile",
  "model.reason.chose",
  "model.reason.placement.unified",
  "model.reason.placement.gpu",
  "model.reason.placement.split",
  "model.reason.placement.cpu",
  "model.reason.memory",
  "model.reason.budget.cpu",
  "model.reason.budget.unified",
  "model.reason.budget.discrete",
  "model.reason.speed",
  "model.reason.speedMath.cpu",
  "model.reason.speedMath.gpu",
  "model.reason.speedMath.split",
  "model.reason.contextReduced",
  "model.reason.tight",
  "model.reason.tooSlow",
  "model.reason.q3",
  "model.reason.q2",
  "model.reason.languages.covered",
  "model.reason.languages.missing",
  "model.reason.not",
  "model.reason.note.tooLarge",
  "model.reason.note.noDisk",
  "model.reason.note.tooSlow",
  "model.reason.note.tight",
  "model.reason.note.lowBits",
  "model.reason.note.lowBitsToo",
  "model.reason.note.fits",
  "model.reason.note.ranksLower",
  "model.reason.none",
  "model.reason.none.disk",
  "model.reason.none.diskFix",
  "model.reason.none.memory",
  "model.reason.none.memoryFix",
  "model.reason.none.remote",
  "model.reason.none.remoteSetup",
] as const;
export type ReasonKey = (typeof REASON_KEYS)[number];

/** Numbers stay numbers (units by name suffix, see above); names and ids are strings. */
export type ReasonParams = Record<string, string | number>;

/** One sentence (or, for "model.reason.not", the lead-in of the note parts that follow it). */
export interface ReasonPart {
  key: ReasonKey;
  params: ReasonParams;
}

/** Builds a part (keeps call sites short). */
export const part = (key: ReasonKey, params: ReasonParams = {}): ReasonPart => ({ key, params });

/**
 * English text of every key, "{name}" filled from params by formatReasonParam. Units are written in the
 * template, the numbers come without them.
 */
export const REASON_EN: Record<ReasonKey, string> = {
  "model.reason.profile": "Profile {profile} ({profileName}).",
  "model.reason.chose": "Chose {model} at {quant} ({fileGB} GB file), context {contextSize} tokens.",
  "model.reason.placement.unified": "All {layers} layers run on the {gpu} (shared memory).",
  "model.reason.placement.gpu": "All {layers} layers run on the {gpu}.",
  "model.reason.placement.split": "{gpuLayers}/{layers} layers run on the {gpu}.",
  "model.reason.placement.cpu": "It runs on the CPU.",
  "model.reason.memory": "It needs {needGiB} GiB of the {budgetGiB} GiB memory budget.",
  "model.reason.budget.cpu":
    "The budget is {availableGiB} GiB available RAM − {reserveGiB} GiB reserved for the OS and agent; swap is not counted.",
  "model.reason.budget.unified":
    "The budget is {availableGiB} GiB available RAM − {reserveGiB} GiB reserved for the OS and agent ({gpu} shares this memory, counted once); swap is not counted.",
  "model.reason.budget.discrete":
    "The budget is {vramGiB} GiB VRAM on the {gpu} (after node-llama-cpp's padding) + {availableGiB} GiB available RAM − {reserveGiB} GiB reserved for the OS and agent; swap is not counted.",
  "model.reason.speed": "It should generate about {tokensPerSecond} tokens/s (floor {floor} tokens/s).",
  "model.reason.speedMath.cpu":
    "Estimate: {bandwidthGBs} GB/s memory bandwidth × {efficiency} efficiency ÷ {fileGB} GB file.",
  "model.reason.speedMath.gpu":
    "Estimate: {bandwidthGBs} GB/s VRAM bandwidth × {efficiency} efficiency ÷ {fileGB} GB file.",
  "model.reason.speedMath.split":
    "Estimate: {gpuPercent} % of the {fileGB} GB file at {gpuGBs} GB/s × {gpuEfficiency}, the rest at {cpuGBs} GB/s × {cpuEfficiency}.",
  "model.reason.contextReduced":
    "Context reduced from {fromTokens} to {toTokens} tokens so that it fits with {headroomPercent} % headroom.",
  "model.reason.tight":
    "It fits only without the {headroomPercent} % headroom: other programs may push it into swap; stop them or pick a smaller model.",
  "model.reason.tooSlow":
    "No model reaches {floor} tokens/s on this device; this is the fastest one that fits.",
  "model.reason.q3":
    "Only a Q3_K_M file fits: expect weaker answers than Q4_K_M (perplexity +0.66 vs +0.18 on Llama-3-8B, llama-quantize).",
  "model.reason.q2":
    "Only a Q2_K file fits: answers degrade badly (perplexity +3.5 on Llama-3-8B); a remote backend would answer better.",
  "model.reason.languages.covered": "It covers {languages} as asked.",
  "model.reason.languages.missing":
    "No model covering {languages} fits; this one is listed for {modelLanguages}.",
  "model.reason.not": "Not {model}:",
  "model.reason.note.tooLarge":
    "{quant} needs {needGiB} GiB at context {contextSize}, more than the {budgetGiB} GiB budget.",
  "model.reason.note.noDisk":
    "the {quant} file ({fileGB} GB) is larger than the {diskGB} GB of free disk it may use.",
  "model.reason.note.tooSlow":
    "{quant} would generate about {tokensPerSecond} tokens/s, below the {floor} tokens/s floor.",
  "model.reason.note.tight":
    "{quant} fits only without the {headroomPercent} % headroom ({needGiB} GiB of {budgetGiB} GiB).",
  "model.reason.note.lowBits": "fits only at {quant}, which loses noticeably more quality than Q4_K_M.",
  "model.reason.note.lowBitsToo": "It fits only at {quant}, which loses noticeably more quality than Q4_K_M.",
  "model.reason.note.fits": "fits ({needGiB} GiB, about {tokensPerSecond} tokens/s).",
  "model.reason.note.ranksLower":
    "fits at {quant} ({needGiB} GiB, about {tokensPerSecond} tokens/s) but ranks lower: quality {quality} vs {chosenQuality}.",
  "model.reason.none": "No catalogue model can run here.",
  "model.reason.none.disk":
    "{count} would fit in memory, but the model store's disk has only {diskFreeGB} GB free ({diskUsableGB} GB usable after keeping {reserveGB} GB for the database and logs) and the smallest of them, {model} {quant}, is a {fileGB} GB file.",
  "model.reason.none.diskFix":
    "Free at least {missingGB} GB of disk space (or point --data-dir at a larger disk), or use a remote backend (an OpenAI-compatible server on another machine).",
  "model.reason.none.memory":
    "The smallest, {model} {quant}, needs {needGiB} GiB at context {contextSize}, but the budget is {budgetGiB} GiB.",
  "model.reason.none.memoryFix":
    "Free memory (stop other programs), add RAM, pick a smaller model than the catalogue offers, or use a remote backend (an OpenAI-compatible server on another machine).",
  "model.reason.none.remote":
    "The remote backend {name} ({url}) can answer instead: run `clawbox models use remote:{name}`.",
  "model.reason.none.remoteSetup":
    "{name} ({url}) can answer instead: add it under backends: in the config file with its API token, set routing.localOnly to false, restart, then run `clawbox models use remote:{name}`.",
};

/**
 * A parameter as text by its name's unit suffix (see the file comment): GiB 1 decimal, GB 2 decimals,
 * tokens/s 1 decimal below 100, percent whole; strings and other numbers unchanged.
 */
export function formatReasonParam(name: string, value: string | number): string {
  if (typeof value === "string") return value;
  if (/tokensPerSecond$/i.test(name)) {
    if (!Number.isFinite(value)) return "∞";
    return value >= 100 ? value.toFixed(0) : value.toFixed(1);
  }
  if (name.endsWith("GiB")) return value.toFixed(1);
  if (name.endsWith("GB")) return value.toFixed(2);
  if (name.endsWith("Percent")) return String(Math.round(value));
  return String(value);
}

/** One part in English ("{name}" placeholders filled; an unknown name stays as "{name}"). */
export function renderReasonPart(p: ReasonPart): string {
  return REASON_EN[p.key].replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in p.params ? formatReasonParam(name, p.params[name] as string | number) : whole,
  );
}

/** The parts as one English paragraph (sentences joined by spaces): what `reason` and `note` hold. */
export function renderReasonEn(parts: ReasonPart[]): string {
  return parts.map(renderReasonPart).join(" ");
}
