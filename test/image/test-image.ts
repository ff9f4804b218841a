import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { testModelPath } from "../support/test-model.js";
import { explain, ROOT, run } from "./tools.js";

/**
 * Where image/build-test-image.sh writes: `$CLAWBOX_IMAGE_OUT_DIR` (e.g. a temp dir for a cold-build
 * measurement, together with CLAWBOX_CACHE_DIR) or its default OUT_DIR artifacts/. The test key lives in
 * .cache/image/ssh either way (gitignored).
 */
export const ARTIFACTS_DIR = process.env.CLAWBOX_IMAGE_OUT_DIR ?? join(ROOT, "artifacts");
export const TEST_KEY = join(ROOT, ".cache", "image", "ssh", "id_ed25519");

/**
 * Flavours image/build-test-image.sh builds (CLAWBOX_IMAGE_FLAVOUR): cpu (amd64, GRUB on an ESP) and rpi
 * (arm64, the Raspberry Pi boot partition).
 */
export type TestImageFlavour = "cpu" | "rpi";

/** The Debian 12 test image's file names (agent/package.json version, the flavour: cpu by default). */
export function testImagePaths(flavour: TestImageFlavour = "cpu"): {
  name: string;
  raw: string;
  xz: string;
  manifest: string;
  keyStamp: string;
} {
  const version = JSON.parse(readFileSync(join(ROOT, "agent", "package.json"), "utf8")).version as string;
  const name = `clawbox-${version}-debian12-${flavour}`;
  const base = join(ARTIFACTS_DIR, name);
  return {
    name,
    raw: `${base}.img`,
    xz: `${base}.img.xz`,
    manifest: `${base}.manifest.json`,
    keyStamp: `${base}.admin-key.pub`,
  };
}

/**
 * Newest modification time (ms since the epoch) of the files the image is built from: everything under
 * ansible/ and image/ (roles, units, scripts, SELinux policy; not the Markdown docs). An image older than
 * this is stale.
 */
export function newestImageInput(dirs = [join(ROOT, "ansible"), join(ROOT, "image")]): number {
  let newest = 0;
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if (e.isFile() && !e.name.endsWith(".md")) newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  for (const d of dirs) if (existsSync(d)) walk(d);
  return newest;
}

/**
 * Returns the raw test image, building it first when it is missing, older than its inputs
 * (newestImageInput), or was built for another admin key
 * (image/build-test-image.sh as root: debootstrap + ansible/image.yml + GRUB; minutes). The build gets the
 * test model (../shared/models/stories260K.gguf, else test/support's generated GGUF) pre-seeded and the
 * public half of TEST_KEY (created here with ssh-keygen when missing) as the admin user's SSH key.
 * `flavour` rpi builds the arm64 Raspberry Pi image (debootstrap through qemu-user: see image/README.md).
 * Throws with the build's output tail when the build fails.
 */
export async function ensureTestImage(
  flavour: TestImageFlavour = "cpu",
): Promise<{ raw: string; manifest: string; built: boolean }> {
  const paths = testImagePaths(flavour);
  if (!existsSync(TEST_KEY)) {
    mkdirSync(join(TEST_KEY, ".."), { recursive: true });
    const kg = run("ssh-keygen", [
      "-q",
      "-t",
      "ed25519",
      "-N",
      "",
      "-C",
      "clawbox-image-test",
      "-f",
      TEST_KEY,
    ]);
    if (kg.code !== 0) throw new Error(`ssh-keygen failed: ${explain(kg)}`);
  }
  const publicKey = readFileSync(`${TEST_KEY}.pub`, "utf8").trim();
  const stamped = existsSync(paths.keyStamp) ? readFileSync(paths.keyStamp, "utf8").trim() : "";
  const fresh = existsSync(paths.raw) && statSync(paths.raw).mtimeMs >= newestImageInput();
  if (fresh && existsSync(paths.manifest) && stamped === publicKey) {
    return { raw: paths.raw, manifest: paths.manifest, built: false };
  }
  const asRoot = process.getuid?.() === 0 ? [] : ["sudo", "-E"];
  const script = join(ROOT, "image", "build-test-image.sh");
  const [cmd, ...args] = [...asRoot, script, ARTIFACTS_DIR];
  const r = run(cmd as string, args, {
    env: {
      ...process.env,
      CLAWBOX_IMAGE_FLAVOUR: flavour,
      CLAWBOX_PRESEED_MODEL: await testModelPath(),
      CLAWBOX_ADMIN_KEY: publicKey,
    },
    timeoutMs: (flavour === "rpi" ? 180 : 40) * 60_000,
  });
  if (r.code !== 0) throw new Error(`image/build-test-image.sh failed: ${explain(r)}`);
  writeFileSync(paths.keyStamp, `${publicKey}\n`);
  return { raw: paths.raw, manifest: paths.manifest, built: true };
}
