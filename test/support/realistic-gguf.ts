import { createHash, randomFillSync } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, renameSync, writeSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import {
  ALIGNMENT,
  ByteWriter,
  type MetaValue,
  SPECIAL_TOKENS,
  TOKEN_TYPE,
  vocabulary,
  writeMeta,
} from "./tiny-gguf.js";

/**
 * A random-weight GGUF of a real model's shape in Q8_0, for benchmarks where speed matters and the weights'
 * values do not (every weight is read and multiplied the same way whatever its value). The layout follows
 * the GGUF specification (ggml docs/gguf.md) as tiny-gguf.ts does; Q8_0 tensors are ggml's `block_q8_0`
 * (ggml-common.h): blocks of 32 weights, each an f16 scale followed by 32 int8 values (34 bytes).
 */

/** ggml tensor types used here (ggml.h `ggml_type`). */
const GGML_TYPE = { F32: 0, Q8_0: 8 } as const;
const Q8_BLOCK = 32;
const Q8_BLOCK_BYTES = 34;

/** A transformer shape written with the `llama` architecture (SwiGLU FFN, RMS norm, RoPE, GQA). */
export interface ModelShape {
  name: string;
  embeddingLength: number;
  blockCount: number;
  feedForwardLength: number;
  headCount: number;
  headCountKv: number;
  vocabSize: number;
  contextLength: number;
}

/**
 * Qwen2.5-0.5B's shape (its config.json on Hugging Face: hidden_size 896, num_hidden_layers 24,
 * intermediate_size 4864, num_attention_heads 14, num_key_value_heads 2, vocab_size 151936, tied word
 * embeddings, max_position_embeddings 32768): 494 M parameters, ≈ 525 MB in Q8_0. Written as `llama`
 * (Qwen2 differs only by the q/k/v biases, 0.1 % of the weights), with the output tied to the embedding.
 */
export const QWEN25_05B_SHAPE: ModelShape = {
  name: "qwen2.5-0.5b-shape",
  embeddingLength: 896,
  blockCount: 24,
  feedForwardLength: 4864,
  headCount: 14,
  headCountKv: 2,
  vocabSize: 151_936,
  contextLength: 32_768,
};

interface TensorPlan {
  name: string;
  /** ggml order: dims[0] is the row length. */
  dims: number[];
  type: number;
  bytes: number;
  /** Rows whose scale is 0 (their logits are 0 through the tied output). */
  zeroRows?: (row: number) => boolean;
}

/**
 * Writes the model of `shape` into `dir` (default `$CLAWBOX_BENCH_CACHE`, else ~/.cache/clawbox/bench) as
 * `<name>-q8_0-<hash of the shape>.gguf` and returns its path; an existing file is reused. Written to a temp
 * name and renamed (atomic). The vocabulary is tiny-gguf's 260 byte-level tokens plus filler tokens up to
 * `vocabSize`; the embedding rows of the special and non-printable byte tokens are 0, so through the tied
 * output their logits are 0 and greedy generation never ends early (fixed request lengths for benchmarks).
 */
export function writeRealisticGguf(shape: ModelShape = QWEN25_05B_SHAPE, dir?: string): string {
  const folder = dir ?? process.env.CLAWBOX_BENCH_CACHE ?? join(homedir(), ".cache", "clawbox", "bench");
  mkdirSync(folder, { recursive: true });
  const hash = createHash("sha256").update(JSON.stringify(shape)).digest("hex").slice(0, 12);
  const file = join(folder, `${shape.name}-q8_0-${hash}.gguf`);
  if (existsSync(file)) return file;

  const { embeddingLength: nEmbd, feedForwardLength: nFf, headCount: nHead, headCountKv: nKv } = shape;
  const headDim = nEmbd / nHead;
  const base = vocabulary();
  const tokens = [...base.tokens];
  const types = [...base.types];
  for (let i = tokens.length; i < shape.vocabSize; i++) {
    tokens.push(`tok${i}`);
    types.push(TOKEN_TYPE.NORMAL);
  }
  const printable = (token: number) => {
    if (token >= base.tokens.length) return true;
    const byte = token - SPECIAL_TOKENS;
    return (byte > 0x20 && byte < 0x7f) || base.tokens[token] === "\u2581";
  };
  const q8 = (name: string, rowLength: number, rows: number, zeroRows?: TensorPlan["zeroRows"]) => ({
    name,
    dims: [rowLength, rows],
    type: GGML_TYPE.Q8_0,
    bytes: (rowLength / Q8_BLOCK) * Q8_BLOCK_BYTES * rows,
    ...(zeroRows ? { zeroRows } : {}),
  });
  const f32 = (name: string, n: number) => ({ name, dims: [n], type: GGML_TYPE.F32, bytes: 4 * n });
  const plan: TensorPlan[] = [q8("token_embd.weight", nEmbd, shape.vocabSize, (row) => !printable(row))];
  for (let i = 0; i < shape.blockCount; i++) {
    plan.push(
      f32(`blk.${i}.attn_norm.weight`, nEmbd),
      q8(`blk.${i}.attn_q.weight`, nEmbd, nEmbd),
      q8(`blk.${i}.attn_k.weight`, nEmbd, nKv * headDim),
      q8(`blk.${i}.attn_v.weight`, nEmbd, nKv * headDim),
      q8(`blk.${i}.attn_output.weight`, nEmbd, nEmbd),
      f32(`blk.${i}.ffn_norm.weight`, nEmbd),
      q8(`blk.${i}.ffn_gate.weight`, nEmbd, nFf),
      q8(`blk.${i}.ffn_up.weight`, nEmbd, nFf),
      q8(`blk.${i}.ffn_down.weight`, nFf, nEmbd),
    );
  }
  plan.push(f32("output_norm.weight", nEmbd));

  const meta: Array<[string, MetaValue]> = [
    ["general.architecture", { type: "str", value: "llama" }],
    ["general.name", { type: "str", value: `clawbox-${shape.name}-random` }],
    ["general.alignment", { type: "u32", value: ALIGNMENT }],
    ["llama.context_length", { type: "u32", value: shape.contextLength }],
    ["llama.embedding_length", { type: "u32", value: nEmbd }],
    ["llama.block_count", { type: "u32", value: shape.blockCount }],
    ["llama.feed_forward_length", { type: "u32", value: nFf }],
    ["llama.rope.dimension_count", { type: "u32", value: headDim }],
    ["llama.attention.head_count", { type: "u32", value: nHead }],
    ["llama.attention.head_count_kv", { type: "u32", value: nKv }],
    ["llama.attention.layer_norm_rms_epsilon", { type: "f32", value: 1e-6 }],
    ["llama.vocab_size", { type: "u32", value: shape.vocabSize }],
    ["tokenizer.ggml.model", { type: "str", value: "llama" }],
    ["tokenizer.ggml.tokens", { type: "str[]", value: tokens }],
    ["tokenizer.ggml.scores", { type: "f32[]", value: tokens.map(() => 0) }],
    ["tokenizer.ggml.token_type", { type: "i32[]", value: types }],
    ["tokenizer.ggml.unknown_token_id", { type: "u32", value: 0 }],
    ["tokenizer.ggml.bos_token_id", { type: "u32", value: 1 }],
    ["tokenizer.ggml.eos_token_id", { type: "u32", value: 2 }],
  ];
  const head = new ByteWriter();
  head.bytes(Buffer.from("GGUF", "ascii"));
  head.u32(3);
  head.u64(plan.length);
  head.u64(meta.length);
  for (const [key, v] of meta) writeMeta(head, key, v);
  let offset = 0;
  for (const t of plan) {
    head.str(t.name);
    head.u32(t.dims.length);
    for (const d of t.dims) head.u64(d);
    head.u32(t.type);
    head.u64(offset);
    offset += t.bytes + pad(t.bytes);
  }
  head.padTo(ALIGNMENT);

  const temp = `${file}.${process.pid}.tmp`;
  const fd = openSync(temp, "w");
  try {
    writeSync(fd, head.result());
    for (const t of plan) {
      writeTensor(fd, t);
      writeSync(fd, Buffer.alloc(pad(t.bytes)));
    }
  } finally {
    closeSync(fd);
  }
  renameSync(temp, file);
  return file;
}

function pad(n: number): number {
  return (ALIGNMENT - (n % ALIGNMENT)) % ALIGNMENT;
}

/**
 * Tensor data in chunks of whole rows. F32 tensors are norm weights: all 1. Q8_0 rows get random int8
 * values with one scale per tensor, sqrt(3) / (127 · sqrt(rowLength)), so a weight has standard deviation
 * 1/sqrt(rowLength) (uniform int8 has variance 127²/3): activations keep their size from layer to layer.
 */
function writeTensor(fd: number, t: TensorPlan): void {
  if (t.type === GGML_TYPE.F32) {
    writeSync(fd, Buffer.from(new Float32Array(t.dims[0] ?? 0).fill(1).buffer));
    return;
  }
  const rowLength = t.dims[0] ?? 0;
  const rows = t.dims[1] ?? 0;
  const rowBytes = (rowLength / Q8_BLOCK) * Q8_BLOCK_BYTES;
  const scale = f16Bits(Math.sqrt(3) / (127 * Math.sqrt(rowLength)));
  const rowsPerChunk = Math.max(1, Math.floor((4 << 20) / rowBytes));
  for (let row = 0; row < rows; row += rowsPerChunk) {
    const n = Math.min(rowsPerChunk, rows - row);
    const chunk = randomFillSync(Buffer.alloc(n * rowBytes));
    for (let r = 0; r < n; r++) {
      const zero = t.zeroRows?.(row + r) === true;
      for (let b = 0; b < rowBytes; b += Q8_BLOCK_BYTES) {
        const at = r * rowBytes + b;
        chunk.writeUInt16LE(zero ? 0 : scale, at);
        // int8 -128 is outside ggml's symmetric quantisation range; map it to -127
        for (let q = at + 2; q < at + Q8_BLOCK_BYTES; q++) if (chunk[q] === 0x80) chunk[q] = 0x81;
      }
    }
    writeSync(fd, chunk);
  }
}

/** IEEE 754 half-precision bits of a normal positive number (enough for the scales above). */
function f16Bits(x: number): number {
  const f = new Float32Array([x]);
  const bits = new Uint32Array(f.buffer)[0] as number;
  const exp = ((bits >>> 23) & 0xff) - 127 + 15;
  const mantissa = (bits >>> 13) & 0x3ff;
  if (exp <= 0 || exp >= 31) throw new RangeError(`${x} is not a normal f16 number`);
  return (exp << 10) | mantissa;
}
