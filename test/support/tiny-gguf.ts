import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { rename, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A writer for a tiny, random-weight `llama` GGUF v3 file, so tests can run node-llama-cpp without the
 * shared story model. Written from the GGUF specification (ggml `docs/gguf.md`): little-endian header
 * (magic "GGUF", version 3, tensor count u64, metadata count u64), metadata key/values, tensor infos,
 * padding to `general.alignment` (32), then tensor data, each tensor starting on a 32-byte boundary.
 */

/** GGUF metadata value types (gguf.md, `gguf_metadata_value_type`). */
export const GGUF_TYPE = { UINT32: 4, INT32: 5, FLOAT32: 6, STRING: 8, ARRAY: 9 } as const;
/** ggml tensor type of plain 32-bit floats. */
const GGML_TYPE_F32 = 0;
/** llama.cpp token types (`llama_token_type`): 1 normal, 2 unknown, 3 control, 6 byte. */
export const TOKEN_TYPE = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, BYTE: 6 } as const;
export const ALIGNMENT = 32;

/** Shape of the generated model. Defaults give a ~0.3 MB file that llama.cpp loads in milliseconds. */
export interface TinyGgufOptions {
  /** Embedding length (hidden size). Default 32. */
  embeddingLength?: number;
  /** Transformer blocks. Default 2. */
  blockCount?: number;
  /** Feed-forward (SwiGLU) width. Default 64. */
  feedForwardLength?: number;
  /** Attention heads; `embeddingLength` must divide by it. Default 4. */
  headCount?: number;
  /** Trained context length written to `llama.context_length`, tokens. Default 512. */
  contextLength?: number;
  /** PRNG seed for the weights, so the same options always give the same bytes. Default 1. */
  seed?: number;
  /** Tensor names to leave out: a well-formed GGUF that llama.cpp refuses to load (failure tests). */
  omitTensors?: string[];
  /**
   * Jinja chat template written to `tokenizer.chat_template` (as real instruct models carry it), so
   * node-llama-cpp picks that family's chat wrapper (e.g. a ChatML / Qwen template → tool calling). Default none.
   */
  chatTemplate?: string;
}

export type MetaValue =
  | { type: "u32"; value: number }
  | { type: "i32"; value: number }
  | { type: "f32"; value: number }
  | { type: "str"; value: string }
  | { type: "str[]"; value: string[] }
  | { type: "f32[]"; value: number[] }
  | { type: "i32[]"; value: number[] };

interface TensorSpec {
  name: string;
  /** ggml order: dims[0] is the fastest-moving (row length). */
  dims: number[];
  data: Float32Array;
}

/** Growable little-endian byte buffer. */
export class ByteWriter {
  private buf = Buffer.alloc(1 << 16);
  length = 0;

  private ensure(extra: number): void {
    if (this.length + extra <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + extra));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v, this.length);
    this.length += 4;
  }
  i32(v: number): void {
    this.ensure(4);
    this.buf.writeInt32LE(v, this.length);
    this.length += 4;
  }
  u64(v: number): void {
    this.ensure(8);
    this.buf.writeBigUInt64LE(BigInt(v), this.length);
    this.length += 8;
  }
  f32(v: number): void {
    this.ensure(4);
    this.buf.writeFloatLE(v, this.length);
    this.length += 4;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  str(s: string): void {
    const b = Buffer.from(s, "utf8");
    this.u64(b.length);
    this.bytes(b);
  }
  padTo(alignment: number): void {
    const pad = (alignment - (this.length % alignment)) % alignment;
    this.ensure(pad);
    this.buf.fill(0, this.length, this.length + pad);
    this.length += pad;
  }
  result(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

/** mulberry32: a tiny deterministic PRNG, enough for reproducible random weights. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The vocabulary: `<unk>`, `<s>`, `</s>`, the 256 byte tokens `<0x00>`…`<0xFF>` that llama.cpp's
 * SentencePiece ("llama") tokenizer falls back to (so any UTF-8 text tokenizes), then "▁" (U+2581, the
 * SentencePiece space marker, so spaces detokenize back to spaces). 260 tokens.
 */
export function vocabulary(): { tokens: string[]; scores: number[]; types: number[] } {
  const tokens = ["<unk>", "<s>", "</s>"];
  const types: number[] = [TOKEN_TYPE.UNKNOWN, TOKEN_TYPE.CONTROL, TOKEN_TYPE.CONTROL];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
    types.push(TOKEN_TYPE.BYTE);
  }
  tokens.push("\u2581");
  types.push(TOKEN_TYPE.NORMAL);
  return { tokens, scores: tokens.map(() => 0), types };
}

/** Number of leading special tokens (unk, bos, eos) in {@link vocabulary}. */
export const SPECIAL_TOKENS = 3;

/**
 * Builds the bytes of a tiny `llama` GGUF v3 model with random f32 weights.
 * Only printable ASCII and "▁" (space) have non-zero output rows; every other token's logit is 0 while the
 * best of ~95 random logits is almost surely positive. So greedy generation never emits end-of-sequence and
 * always runs to `maxTokens` (deterministic request lengths for tests), and its text is printable ASCII that
 * tokenizes back to the same tokens (so KV cache prefix reuse works as with a real model). Not language.
 * Returns the whole file as a Buffer (≈ 4 × parameter count bytes; ~0.3 MB with the defaults).
 */
export function buildTinyGguf(opts: TinyGgufOptions = {}): Buffer {
  const nEmbd = opts.embeddingLength ?? 32;
  const nBlock = opts.blockCount ?? 2;
  const nFf = opts.feedForwardLength ?? 64;
  const nHead = opts.headCount ?? 4;
  const nCtx = opts.contextLength ?? 512;
  if (nEmbd % nHead !== 0) throw new Error(`embeddingLength ${nEmbd} is not divisible by headCount ${nHead}`);
  const headDim = nEmbd / nHead;
  const rand = prng(opts.seed ?? 1);
  const vocab = vocabulary();
  const nVocab = vocab.tokens.length;

  const random = (count: number, scale: number): Float32Array => {
    const a = new Float32Array(count);
    for (let i = 0; i < count; i++) a[i] = (rand() * 2 - 1) * scale;
    return a;
  };
  const ones = (count: number): Float32Array => new Float32Array(count).fill(1);
  const w = (rows: number, cols: number): Float32Array => random(rows * cols, 1 / Math.sqrt(rows));

  const output = random(nEmbd * nVocab, 1);
  // Zero output rows (logit 0) for everything but printable ASCII bytes and "▁": the specials, control bytes,
  // the raw space byte (SentencePiece spells a space "▁") and bytes ≥ 0x80.
  for (let token = 0; token < nVocab; token++) {
    const byte = token - SPECIAL_TOKENS;
    const printable = (byte > 0x20 && byte < 0x7f) || vocab.tokens[token] === "\u2581";
    if (!printable) output.fill(0, token * nEmbd, (token + 1) * nEmbd);
  }
  const tensors: TensorSpec[] = [
    { name: "token_embd.weight", dims: [nEmbd, nVocab], data: random(nEmbd * nVocab, 1) },
  ];
  for (let i = 0; i < nBlock; i++) {
    tensors.push(
      { name: `blk.${i}.attn_norm.weight`, dims: [nEmbd], data: ones(nEmbd) },
      { name: `blk.${i}.attn_q.weight`, dims: [nEmbd, nEmbd], data: w(nEmbd, nEmbd) },
      { name: `blk.${i}.attn_k.weight`, dims: [nEmbd, nEmbd], data: w(nEmbd, nEmbd) },
      { name: `blk.${i}.attn_v.weight`, dims: [nEmbd, nEmbd], data: w(nEmbd, nEmbd) },
      { name: `blk.${i}.attn_output.weight`, dims: [nEmbd, nEmbd], data: w(nEmbd, nEmbd) },
      { name: `blk.${i}.ffn_norm.weight`, dims: [nEmbd], data: ones(nEmbd) },
      { name: `blk.${i}.ffn_gate.weight`, dims: [nEmbd, nFf], data: w(nEmbd, nFf) },
      { name: `blk.${i}.ffn_up.weight`, dims: [nEmbd, nFf], data: w(nEmbd, nFf) },
      { name: `blk.${i}.ffn_down.weight`, dims: [nFf, nEmbd], data: w(nFf, nEmbd) },
    );
  }
  tensors.push(
    { name: "output_norm.weight", dims: [nEmbd], data: ones(nEmbd) },
    { name: "output.weight", dims: [nEmbd, nVocab], data: output },
  );

  if (opts.omitTensors) {
    const omit = new Set(opts.omitTensors);
    tensors.splice(0, tensors.length, ...tensors.filter((t) => !omit.has(t.name)));
  }

  const meta: Array<[string, MetaValue]> = [
    ["general.architecture", { type: "str", value: "llama" }],
    ["general.name", { type: "str", value: "clawbox-tiny-random" }],
    ["general.alignment", { type: "u32", value: ALIGNMENT }],
    ["llama.context_length", { type: "u32", value: nCtx }],
    ["llama.embedding_length", { type: "u32", value: nEmbd }],
    ["llama.block_count", { type: "u32", value: nBlock }],
    ["llama.feed_forward_length", { type: "u32", value: nFf }],
    ["llama.rope.dimension_count", { type: "u32", value: headDim }],
    ["llama.attention.head_count", { type: "u32", value: nHead }],
    ["llama.attention.head_count_kv", { type: "u32", value: nHead }],
    ["llama.attention.layer_norm_rms_epsilon", { type: "f32", value: 1e-5 }],
    ["llama.vocab_size", { type: "u32", value: nVocab }],
    ["tokenizer.ggml.model", { type: "str", value: "llama" }],
    ["tokenizer.ggml.tokens", { type: "str[]", value: vocab.tokens }],
    ["tokenizer.ggml.scores", { type: "f32[]", value: vocab.scores }],
    ["tokenizer.ggml.token_type", { type: "i32[]", value: vocab.types }],
    ["tokenizer.ggml.unknown_token_id", { type: "u32", value: 0 }],
    ["tokenizer.ggml.bos_token_id", { type: "u32", value: 1 }],
    ["tokenizer.ggml.eos_token_id", { type: "u32", value: 2 }],
  ];
  if (opts.chatTemplate) meta.push(["tokenizer.chat_template", { type: "str", value: opts.chatTemplate }]);

  const out = new ByteWriter();
  out.bytes(Buffer.from("GGUF", "ascii"));
  out.u32(3);
  out.u64(tensors.length);
  out.u64(meta.length);
  for (const [key, v] of meta) writeMeta(out, key, v);

  let offset = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    offsets.push(offset);
    offset += t.data.byteLength;
    offset += (ALIGNMENT - (offset % ALIGNMENT)) % ALIGNMENT;
  }
  tensors.forEach((t, i) => {
    out.str(t.name);
    out.u32(t.dims.length);
    for (const d of t.dims) out.u64(d);
    out.u32(GGML_TYPE_F32);
    out.u64(offsets[i] ?? 0);
  });
  out.padTo(ALIGNMENT);
  for (const t of tensors) {
    out.bytes(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    out.padTo(ALIGNMENT);
  }
  return out.result();
}

export function writeMeta(out: ByteWriter, key: string, v: MetaValue): void {
  out.str(key);
  switch (v.type) {
    case "u32":
      out.u32(GGUF_TYPE.UINT32);
      out.u32(v.value);
      return;
    case "i32":
      out.u32(GGUF_TYPE.INT32);
      out.i32(v.value);
      return;
    case "f32":
      out.u32(GGUF_TYPE.FLOAT32);
      out.f32(v.value);
      return;
    case "str":
      out.u32(GGUF_TYPE.STRING);
      out.str(v.value);
      return;
    case "str[]":
      out.u32(GGUF_TYPE.ARRAY);
      out.u32(GGUF_TYPE.STRING);
      out.u64(v.value.length);
      for (const s of v.value) out.str(s);
      return;
    case "f32[]":
      out.u32(GGUF_TYPE.ARRAY);
      out.u32(GGUF_TYPE.FLOAT32);
      out.u64(v.value.length);
      for (const f of v.value) out.f32(f);
      return;
    case "i32[]":
      out.u32(GGUF_TYPE.ARRAY);
      out.u32(GGUF_TYPE.INT32);
      out.u64(v.value.length);
      for (const n of v.value) out.i32(n);
      return;
  }
}

/**
 * Writes {@link buildTinyGguf}'s file into `dir` (default `os.tmpdir()`) as `clawbox-tiny-<sha256 prefix>.gguf`
 * and returns its absolute path. The name is the content hash, so a second call (or a parallel test worker)
 * reuses the existing file; the write goes to a unique temp name first and is renamed into place (atomic).
 */
export async function writeTinyGguf(opts: TinyGgufOptions = {}, dir: string = tmpdir()): Promise<string> {
  const bytes = buildTinyGguf(opts);
  const hash = createHash("sha256").update(bytes).digest("hex").slice(0, 16);
  const file = join(dir, `clawbox-tiny-${hash}.gguf`);
  if (existsSync(file)) return file;
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temp, bytes);
  await rename(temp, file);
  return file;
}
