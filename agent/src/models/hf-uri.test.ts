import { describe, expect, it } from "vitest";
import { UserError } from "../errors.js";
import { loadCatalogue } from "./catalogue.js";
import { hfEndpoint, resolveModelSource } from "./hf-uri.js";

const catalogue = loadCatalogue();
const env = {} as NodeJS.ProcessEnv;

describe("resolveModelSource", () => {
  it("maps hf:user/repo/file.gguf to the resolve URL on main", () => {
    const s = resolveModelSource("hf:someone/Some-GGUF/sub dir/model-Q4_K_M.gguf", catalogue, env);
    expect(s.url).toBe("https://huggingface.co/someone/Some-GGUF/resolve/main/sub%20dir/model-Q4_K_M.gguf");
    expect(s.fileName).toBe("model-Q4_K_M.gguf");
    expect(s.huggingFace).toBe(true);
    expect(s.expectedBytes).toBeUndefined();
  });

  it("honours #branch and HF_ENDPOINT", () => {
    const s = resolveModelSource("hf:a/b/c.gguf#v2", catalogue, { HF_ENDPOINT: "http://mirror.local:8080/" });
    expect(s.url).toBe("http://mirror.local:8080/a/b/resolve/v2/c.gguf");
    expect(hfEndpoint({ HF_ENDPOINT: "https://hf-mirror.com/" })).toBe("https://hf-mirror.com");
  });

  it("knows catalogue files: size and model id come along", () => {
    const s = resolveModelSource(
      "hf:bartowski/Qwen2.5-1.5B-Instruct-GGUF/Qwen2.5-1.5B-Instruct-Q4_K_M.gguf",
      catalogue,
      env,
    );
    expect(s).toMatchObject({
      modelId: "qwen2.5-1.5b-instruct",
      quant: "Q4_K_M",
      expectedBytes: 986_000_000,
    });
  });

  it("resolves hf:user/repo:QUANT and catalogue ids (default Q4_K_M)", () => {
    const a = resolveModelSource("hf:bartowski/Qwen2.5-1.5B-Instruct-GGUF:q6_k", catalogue, env);
    expect(a.fileName).toBe("Qwen2.5-1.5B-Instruct-Q6_K.gguf");
    const b = resolveModelSource("qwen2.5-1.5b-instruct", catalogue, env);
    expect(b.fileName).toBe("Qwen2.5-1.5B-Instruct-Q4_K_M.gguf");
    expect(b.url).toBe(
      "https://huggingface.co/bartowski/Qwen2.5-1.5B-Instruct-GGUF/resolve/main/Qwen2.5-1.5B-Instruct-Q4_K_M.gguf",
    );
    expect(resolveModelSource("qwen2.5-1.5b-instruct:Q8_0", catalogue, env).quant).toBe("Q8_0");
  });

  it("takes http(s) URLs of .gguf files", () => {
    const s = resolveModelSource("http://127.0.0.1:9/files/tiny%20model.gguf?download=1", catalogue, env);
    expect(s.fileName).toBe("tiny model.gguf");
    expect(s.huggingFace).toBe(false);
  });

  it("refuses what it cannot resolve, with a fix", () => {
    for (const bad of [
      "nope-model",
      "qwen2.5-1.5b-instruct:Q3_K_S",
      "hf:a/b",
      "hf:unknown/repo:Q4_K_M",
      "https://example.com/index.html",
      "https://example.com/..%2F..%2Fetc%2Fx.gguf",
      "hf:a/b/.hidden.gguf",
    ]) {
      let err: unknown;
      try {
        resolveModelSource(bad, catalogue, env);
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(UserError);
      expect((err as UserError).fix, bad).toBeTruthy();
    }
  });
});
