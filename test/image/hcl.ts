import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { explain, ROOT, requireFile, requireTool, run } from "./tools.js";

/** One HCL2 attribute: its expression's source text and its value when it is a literal (else null). */
export interface HclAttribute {
  source: string;
  value: unknown;
}

/** One HCL2 block (`type "label" … { body }`). */
export interface HclBlock {
  type: string;
  labels: string[];
  body: HclBody;
}

/** A parsed HCL2 body: attributes by name and nested blocks in file order. */
export interface HclBody {
  attributes: Record<string, HclAttribute>;
  blocks: HclBlock[];
}

const HELPER_SRC = join(ROOT, "test", "image", "hcl2json");
const HELPER_BIN = join(ROOT, ".cache", "hcl2json", "hcl2json");
/** Debian installs Go libraries as GOPATH sources here (golang-github-hashicorp-hcl-v2-dev). */
const DEBIAN_GOPATH = "/usr/share/gocode";

/**
 * Builds (once, cached in .cache/hcl2json/) the hcl2json helper: HashiCorp's HCL2 parser, the one Packer
 * uses, from Debian's Go sources, offline. Returns the binary's path. Throws naming the apt packages when
 * Go or the HCL library is missing, or with the compiler output when the build fails.
 */
export function hcl2jsonBinary(): string {
  const newest = statSync(join(HELPER_SRC, "main.go")).mtimeMs;
  if (existsSync(HELPER_BIN) && statSync(HELPER_BIN).mtimeMs >= newest) return HELPER_BIN;
  requireTool("go", "golang-go");
  requireFile(
    join(DEBIAN_GOPATH, "src", "github.com", "hashicorp", "hcl", "v2"),
    "golang-github-hashicorp-hcl-v2-dev",
  );
  mkdirSync(join(ROOT, ".cache", "hcl2json"), { recursive: true });
  const r = run("go", ["build", "-o", HELPER_BIN, "."], {
    cwd: HELPER_SRC,
    env: {
      ...process.env,
      GO111MODULE: "off",
      GOPATH: DEBIAN_GOPATH,
      GOFLAGS: "",
      GOCACHE: join(ROOT, ".cache", "go-build"),
    },
    timeoutMs: 300_000,
  });
  if (r.code !== 0) throw new Error(`building hcl2json failed\n${explain(r)}`);
  return HELPER_BIN;
}

/**
 * Parses an HCL2 file with HashiCorp's parser and returns its structure.
 * Throws with the parser's diagnostics (file:line,column: summary; detail) when the file is not valid HCL2.
 */
export function loadPackerTemplate(file: string): HclBody {
  const r = run(hcl2jsonBinary(), [file]);
  if (r.code !== 0) throw new Error(`${file} is not valid HCL2:\n${r.stderr.trim()}`);
  return JSON.parse(r.stdout) as HclBody;
}

/** Parses HCL2 text (written to a temporary file, removed after). Same errors as loadPackerTemplate. */
export function parseHcl(text: string): HclBody {
  const dir = mkdtempSync(join(tmpdir(), "clawbox-hcl-"));
  try {
    const file = join(dir, "input.pkr.hcl");
    writeFileSync(file, text);
    return loadPackerTemplate(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
